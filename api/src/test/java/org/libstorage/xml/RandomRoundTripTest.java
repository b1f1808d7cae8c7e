package org.libstorage.xml;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.libstorage.Permissions;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.PoolState;
import org.libstorage.PoolTarget;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;

/**
 * Definitions built through the API with awkward but legal values (markup characters, quotes,
 * non-ASCII text, extreme sizes) write documents libvirt's schemas accept and read back equal.
 * Seeded, so a failure reproduces.
 */
class RandomRoundTripTest {
    private static final String AWKWARD = "a&b<c>d'e\"f ü€💾";
    /**
     * Paths stay ASCII: the build runs tests under LC_ALL=C, where the JVM cannot map non-ASCII
     * file names (sun.jnu.encoding is ASCII) and Path.of refuses them.
     */
    private static final String AWKWARD_PATH = "a&b<c>d'e\"f g";

    static Stream<Long> seeds() {
        return IntStream.range(0, 40).mapToObj(i -> 0x5EED_0000L + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void poolsOfEveryTypeRoundTrip(long seed) {
        Random random = new Random(seed);
        for (PoolType type : PoolType.values()) {
            PoolDefinition pool = pool(type, random);
            Optional<PoolInfo> info = random.nextBoolean() ? Optional.empty()
                    : Optional.of(new PoolInfo(PoolState.RUNNING, Long.MAX_VALUE, random.nextLong(0, Long.MAX_VALUE), 0));

            String xml = PoolXml.write(pool, info);

            LibvirtSchemas.assertValidPool(xml);
            assertEquals(pool, PoolXml.parse(xml), xml);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void volumesRoundTrip(long seed) {
        Random random = new Random(seed);
        VolumeDefinition volume = volume(random);

        String xml = VolumeXml.write(volume);

        LibvirtSchemas.assertValidVolume(xml);
        assertEquals(volume, VolumeXml.parse(xml), xml);
    }

    private static PoolDefinition pool(PoolType type, Random random) {
        String name = word(random) + AWKWARD.substring(random.nextInt(AWKWARD.length() - 2));
        PoolDefinition.Builder b = PoolDefinition.builder(type, name);
        if (random.nextBoolean()) {
            b.uuid(new UUID(random.nextLong(), random.nextLong()));
        }
        PoolSource.Builder s = PoolSource.builder();
        Path target = Path.of("/srv", word(random), AWKWARD_PATH);
        String iqn = "iqn.2024-0" + (1 + random.nextInt(9)) + ".org.example:" + word(random);
        PoolSource.Auth auth = new PoolSource.Auth(type == PoolType.RBD ? "ceph" : "chap", AWKWARD,
                random.nextBoolean() ? PoolSource.SecretRef.ofUsage(AWKWARD)
                        : PoolSource.SecretRef.ofUuid(new UUID(random.nextLong(), random.nextLong())));
        switch (type) {
            case DIR -> {
                b.targetPath(target).copyOnWrite(random.nextBoolean());
                if (random.nextBoolean()) {
                    s.vendor(AWKWARD).product(word(random));
                }
            }
            case FS -> {
                s.device(Path.of("/dev", word(random))).format(pick(random, "auto", "ext4", "xfs", "vfat"));
                b.targetPath(target).mountOption("noatime").mountOption(AWKWARD);
            }
            case NETFS -> {
                s.host(host(random)).dir(Path.of("/export", word(random))).format("nfs").protocolVersion("4");
                b.targetPath(target);
            }
            case LOGICAL -> {
                s.name(word(random)).device(Path.of("/dev/loop1")).device(new PoolSource.Device(Path.of("/dev/loop2"),
                        Optional.empty(), List.of(new PoolSource.Extent(0, random.nextLong(1, Long.MAX_VALUE)))))
                        .format("lvm2");
                b.target(new PoolTarget(Optional.of(Path.of("/dev", word(random))), Optional.of(permissions(random))));
            }
            case DISK -> {
                s.device(new PoolSource.Device(Path.of("/dev/sdb"), Optional.of(random.nextBoolean()),
                        List.of(new PoolSource.Extent(1024, 4096), new PoolSource.Extent(8192, 8192))))
                        .format(pick(random, "gpt", "dos"));
                b.target(new PoolTarget(Optional.of(Path.of("/dev")), Optional.of(permissions(random))));
            }
            case ISCSI -> {
                s.host(host(random)).device(Path.of(iqn)).initiatorIqn(iqn + ":initiator").auth(auth);
                b.targetPath(Path.of("/dev/disk/by-path"));
            }
            case ISCSI_DIRECT -> s.host(host(random)).device(Path.of(iqn)).initiatorIqn(iqn + ":initiator").auth(auth);
            case SCSI -> {
                s.adapter(new PoolSource.Adapter(Optional.of("fc_host"),
                        List.of(new PoolDefinition.NameValue("parent", word(random)),
                                new PoolDefinition.NameValue("wwnn", "20000000c9831b4b"),
                                new PoolDefinition.NameValue("wwpn", "10000000c9831b4b")), Optional.empty()));
                b.targetPath(Path.of("/dev/disk/by-path"));
            }
            case MPATH -> b.targetPath(Path.of("/dev/mapper"));
            case RBD -> {
                s.name(word(random)).host(host(random)).host(host(random)).auth(auth);
                b.configOption("rbd_cache", AWKWARD).refreshAllocation(PoolDefinition.RefreshAllocation.CAPACITY);
            }
            case SHEEPDOG -> s.name(word(random)).host(host(random));
            case GLUSTER -> s.name(word(random)).host(host(random)).dir(Path.of("/", word(random)));
            case ZFS -> {
                String zpool = word(random);
                s.name(zpool).device(Path.of("/dev/ada1"));
                b.targetPath(Path.of("/dev/zvol", zpool)); // as libvirt fills it in when left out
            }
            case VSTORAGE -> {
                s.name(word(random));
                b.targetPath(target);
            }
        }
        return b.source(s.build()).build();
    }

    private static VolumeDefinition volume(Random random) {
        String name = word(random) + AWKWARD;
        Instant time = Instant.ofEpochSecond(random.nextLong(0, 4_000_000_000L), random.nextInt(1_000_000_000));
        VolumeDefinition.Builder b = VolumeDefinition.builder(name, random.nextLong(0, Long.MAX_VALUE))
                .type(pick(random, VolumeType.FILE, VolumeType.BLOCK, VolumeType.DIR))
                .key(AWKWARD + word(random))
                .allocation(random.nextLong(0, Long.MAX_VALUE))
                .physical(random.nextLong(1, Long.MAX_VALUE))
                .target(new VolumeDefinition.VolumeTarget(Optional.of(Path.of("/pool", word(random) + AWKWARD_PATH)),
                        Optional.of(pick(random, VolumeFormat.RAW, VolumeFormat.QCOW2, VolumeFormat.ISO)),
                        Optional.of(permissions(random)),
                        Optional.of(new VolumeDefinition.Timestamps(Optional.of(time), Optional.of(time),
                                Optional.empty(), Optional.of(time.plusSeconds(1)))),
                        Optional.of("1.1"), random.nextBoolean(), List.of("lazy_refcounts"),
                        Optional.of(new VolumeDefinition.Encryption("luks", Optional.empty(),
                                Optional.of(PoolSource.SecretRef.ofUsage(AWKWARD)),
                                Optional.of(new VolumeDefinition.Encryption.Cipher("aes", 256, Optional.of("xts"),
                                        Optional.of("sha256"))),
                                Optional.of(new VolumeDefinition.Encryption.IvGenerator("plain64",
                                        Optional.empty())))),
                        OptionalLong.of(65536)));
        if (random.nextBoolean()) {
            b.backingStore(new VolumeDefinition.BackingStore(Path.of("/base", AWKWARD_PATH), Optional.of(VolumeFormat.RAW),
                    Optional.of(permissions(random))));
        }
        if (random.nextBoolean()) {
            b.extents(new VolumeDefinition.SourceExtents(Path.of("/dev/sdc"),
                    List.of(new PoolSource.Extent(0, 512), new PoolSource.Extent(1024, Long.MAX_VALUE))));
        }
        return b.build();
    }

    private static Permissions permissions(Random random) {
        return new Permissions(OptionalInt.of(random.nextInt(01000)), OptionalLong.of(random.nextLong(0, 0xFFFF_FFFFL)),
                random.nextBoolean() ? OptionalLong.empty() : OptionalLong.of(0),
                random.nextBoolean() ? Optional.empty() : Optional.of(AWKWARD));
    }

    private static PoolSource.Host host(Random random) {
        String name = pick(random, "ceph-mon." + word(random) + ".example", "192.0.2." + random.nextInt(256),
                "2001:db8::" + Integer.toHexString(random.nextInt(0xFFFF)));
        return new PoolSource.Host(name, random.nextBoolean() ? OptionalInt.empty()
                : OptionalInt.of(random.nextInt(1, 65536)));
    }

    private static String word(Random random) {
        StringBuilder b = new StringBuilder();
        int length = 1 + random.nextInt(8);
        for (int i = 0; i < length; i++) {
            b.append((char) ('a' + random.nextInt(26)));
        }
        return b.toString();
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... choices) {
        return choices[random.nextInt(choices.length)];
    }
}
