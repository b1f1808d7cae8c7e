package org.libstorage.backends.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BackendStatus;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.FileSecretStore;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.SecretStore;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.dir.DirBackend;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;
import org.libstorage.xml.PoolXml;
import org.libstorage.testing.Tgtd;

/** iscsi-direct pools through the SPI, against a private tgtd on 127.0.0.1. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IscsiDirectPoolTest {
    static final String INITIATOR = "iqn.2026-01.org.libstorage.test:initiator";
    static final String PASSWORD = "Chap-Secret-Value-1234";
    static final long MIB = 1 << 20;

    Path dir;
    Tgtd tgtd;
    String lunsTarget;
    String chapTarget;
    Path lun1;
    Path lun2;
    SecretStore secrets;

    @BeforeAll
    void startTarget(@TempDir Path tmp) throws Exception {
        dir = tmp;
        tgtd = Tgtd.start(dir);
        lun1 = Tgtd.backing(dir, "lun1.img", 8 * MIB);
        lun2 = Tgtd.backing(dir, "lun2.img", 4 * MIB);
        lunsTarget = tgtd.target(1, "luns", lun1, lun2);
        tgtd.lun(1, 3, Tgtd.backing(dir, "lun3.img", 2 * MIB));
        tgtd.tgtadm("--mode", "logicalunit", "--op", "update", "--tid", "1", "--lun", "3",
                "--params", "thin_provisioning=1");
        chapTarget = tgtd.target(2, "chap", Tgtd.backing(dir, "chap.img", MIB));
        tgtd.chap(2, "alice", PASSWORD);
        Path secretDir = Files.createDirectories(dir.resolve("config/secrets"));
        Path secret = secretDir.resolve("iscsi-chap");
        Files.writeString(secret, PASSWORD + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path wrong = secretDir.resolve("wrong-chap");
        Files.writeString(wrong, "not-the-password");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        secrets = FileSecretStore.of(secretDir);
    }

    @AfterAll
    void stopTarget() throws Exception {
        if (tgtd != null) {
            tgtd.close();
        }
    }

    static PoolDefinition pool(String name, int port, String target, Optional<PoolSource.Auth> auth) {
        PoolSource.Builder source = PoolSource.builder()
                .host(new PoolSource.Host("127.0.0.1", OptionalInt.of(port)))
                .device(Path.of(target))
                .initiatorIqn(INITIATOR);
        auth.ifPresent(source::auth);
        return PoolDefinition.builder(PoolType.ISCSI_DIRECT, name).source(source.build()).build();
    }

    PoolDriver open(PoolDefinition definition) {
        return new IscsiDirectBackend().open(definition,
                new BackendContext(dir.resolve("state").resolve(definition.name()), secrets));
    }

    PoolDriver started(String target) {
        PoolDriver driver = open(pool("san", tgtd.port(), target, Optional.empty()));
        driver.start();
        return driver;
    }

    static VolumeDefinition volume(PoolContents contents, String name) {
        return contents.volumes().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    static StorageException fails(ErrorCode code, Executable call) {
        StorageException e = assertThrows(StorageException.class, call);
        assertEquals(code, e.code(), e::getMessage);
        return e;
    }

    static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    static void writeAll(WritableByteChannel channel, byte[] data) throws Exception {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    static byte[] readAll(ReadableByteChannel channel, int size) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
            // keep reading
        }
        return buffer.array();
    }

    @Test
    void theUserSpaceInitiatorNeedsNoKernelSupport() {
        BackendStatus direct = new IscsiDirectBackend().status();
        assertTrue(direct.available(), direct::toString);
        assertTrue(direct.notes().stream().anyMatch(n -> n.contains("no kernel support needed")), direct::toString);
    }

    @Test
    void refreshListsEveryLunAsLibvirtNamesIt() {
        PoolDriver driver = started(lunsTarget);
        assertTrue(driver.isActive());
        PoolContents contents = driver.refresh();
        assertEquals(List.of("unit:0:0:0", "unit:0:0:1", "unit:0:0:2", "unit:0:0:3"),
                contents.volumes().stream().map(VolumeDefinition::name).toList());
        VolumeDefinition first = volume(contents, "unit:0:0:1");
        String key = "ip-127.0.0.1:" + tgtd.port() + "-iscsi-" + lunsTarget + "-lun-1";
        assertEquals(Optional.of(key), first.key());
        assertEquals(Optional.of(Path.of(key)), first.path());
        assertEquals(Optional.of(VolumeType.NETWORK), first.type());
        assertEquals(8 * MIB, first.capacity());
        assertEquals(4 * MIB, volume(contents, "unit:0:0:2").capacity());
        assertEquals(0, volume(contents, "unit:0:0:0").capacity(), "LUN 0 is tgtd's controller, not a disk");
        assertEquals(14 * MIB, contents.info().capacity());
        PoolDriver sameStateElsewhere = open(driver.definition());
        assertTrue(sameStateElsewhere.isActive(), "another process sharing the run directory sees it active");
        driver.stop();
        assertFalse(driver.isActive());
        assertFalse(sameStateElsewhere.isActive());
    }

    @Test
    void findPoolSourcesListsTheTargetsAtAPortal() {
        List<PoolSource> sources = new IscsiDirectBackend().findPoolSources(Optional.of(PoolSource.builder()
                .host(new PoolSource.Host("127.0.0.1", OptionalInt.of(tgtd.port()))).build()));
        assertEquals(List.of(chapTarget, lunsTarget),
                sources.stream().map(s -> s.devices().getFirst().path().toString()).sorted().toList());
        assertTrue(PoolXml.writeSources(sources).contains(lunsTarget));
    }

    @Test
    void uploadAndDownloadAtAnyByteOffset() throws Exception {
        PoolDriver driver = started(lunsTarget);
        VolumeDefinition lun = volume(driver.refresh(), "unit:0:0:1");
        byte[] data = random(3 * (int) MIB + 12345, 1);
        long offset = 1000;
        try (WritableByteChannel out = driver.openWrite(lun, offset, data.length)) {
            writeAll(out, data);
        }
        try (ReadableByteChannel in = driver.openRead(lun, offset, data.length)) {
            assertArrayEquals(data, readAll(in, data.length));
        }
        byte[] file = Files.readAllBytes(lun1);
        assertArrayEquals(new byte[(int) offset], java.util.Arrays.copyOf(file, (int) offset), "bytes before stay");
        assertEquals(0, file[(int) offset + data.length], "the byte after stays");
        assertArrayEquals(data, java.util.Arrays.copyOfRange(file, (int) offset, (int) offset + data.length));
        // Block-aligned writes from and reads into direct buffers take the no-copy paths.
        byte[] head = random((int) MIB + 512 + 100, 5);
        try (WritableByteChannel out = driver.openWrite(lun, 0, head.length)) {
            ByteBuffer direct = ByteBuffer.allocateDirect(head.length).put(head).flip();
            while (direct.hasRemaining()) {
                out.write(direct);
            }
        }
        assertArrayEquals(head, java.util.Arrays.copyOf(Files.readAllBytes(lun1), head.length));
        try (ReadableByteChannel in = driver.openRead(lun, 0, 4 * MIB)) {
            ByteBuffer direct = ByteBuffer.allocateDirect((int) (4 * MIB));
            while (direct.hasRemaining() && in.read(direct) >= 0) {
                // keep reading
            }
            byte[] got = new byte[(int) (4 * MIB)];
            direct.flip().get(got);
            assertArrayEquals(java.util.Arrays.copyOf(Files.readAllBytes(lun1), (int) (4 * MIB)), got);
        }
    }

    @Test
    void copiesADirImageOntoALunAndBackBitForBit() throws Exception {
        PoolDriver san = started(lunsTarget);
        VolumeDefinition lun = volume(san.refresh(), "unit:0:0:2");
        PoolDriver images = new DirBackend().open(PoolDefinition.builder(PoolType.DIR, "images")
                .targetPath(dir.resolve("images")).build(), new BackendContext(dir.resolve("images.state"), secrets));
        images.build(BuildMode.NO_OVERWRITE);
        images.start();
        byte[] data = random((int) lun.capacity(), 2);
        VolumeDefinition image = images.createVolume(VolumeDefinition.builder("disk.img", data.length)
                .format(VolumeFormat.RAW).build());
        try (WritableByteChannel out = images.openWrite(image, 0, -1)) {
            writeAll(out, data);
        }
        // dir image -> LUN: an upload of the image's bytes.
        try (ReadableByteChannel in = images.openRead(image, 0, -1);
             WritableByteChannel out = san.openWrite(lun, 0, -1)) {
            ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
            while (in.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                buffer.clear();
            }
        }
        // LUN -> new dir image: the dir pool creates a volume from the LUN's download channel.
        VolumeSource source = new VolumeSource() {
            @Override
            public VolumeDefinition definition() {
                return lun;
            }

            @Override
            public PoolType poolType() {
                return PoolType.ISCSI_DIRECT;
            }

            @Override
            public ReadableByteChannel open() {
                return san.openRead(lun, 0, -1);
            }
        };
        VolumeDefinition back = images.createVolumeFrom(VolumeDefinition.builder("back.img", lun.capacity())
                .format(VolumeFormat.RAW).build(), source, ProgressListener.NONE);
        assertArrayEquals(data, Files.readAllBytes(back.path().orElseThrow()));
        assertArrayEquals(data, Files.readAllBytes(lun2));
    }

    @Test
    void wipeZeroesTheWholeLun() throws Exception {
        PoolDriver driver = started(lunsTarget);
        VolumeDefinition lun = volume(driver.refresh(), "unit:0:0:2");
        try (WritableByteChannel out = driver.openWrite(lun, 0, -1)) {
            writeAll(out, random((int) lun.capacity(), 3));
        }
        long[] last = {0};
        driver.wipeVolume(lun, WipeAlgorithm.ZERO, (done, total) -> last[0] = done);
        assertEquals(lun.capacity(), last[0]);
        assertArrayEquals(new byte[(int) lun.capacity()], Files.readAllBytes(lun2));
    }

    @Test
    void trimUnmapsWhereTheLunSupportsIt() throws Exception {
        PoolDriver driver = started(lunsTarget);
        PoolContents contents = driver.refresh();
        VolumeDefinition thin = volume(contents, "unit:0:0:3");
        try (WritableByteChannel out = driver.openWrite(thin, 0, -1)) {
            writeAll(out, random((int) thin.capacity(), 4));
        }
        driver.wipeVolume(thin, WipeAlgorithm.TRIM, ProgressListener.NONE);
        try (ReadableByteChannel in = driver.openRead(thin, 0, -1)) {
            assertArrayEquals(new byte[(int) thin.capacity()], readAll(in, (int) thin.capacity()));
        }
        StorageException e = fails(ErrorCode.OPERATION_UNSUPPORTED,
                () -> driver.wipeVolume(volume(contents, "unit:0:0:2"), WipeAlgorithm.TRIM, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("UNMAP"), e.getMessage());
    }

    @Test
    void lunsCannotBeCreatedDeletedOrResized() {
        PoolDriver driver = started(lunsTarget);
        VolumeDefinition lun = volume(driver.refresh(), "unit:0:0:1");
        fails(ErrorCode.OPERATION_UNSUPPORTED, () -> driver.createVolume(VolumeDefinition.builder("new", MIB).build()));
        fails(ErrorCode.OPERATION_UNSUPPORTED, () -> driver.deleteVolume(lun));
        fails(ErrorCode.OPERATION_UNSUPPORTED, () -> driver.resizeVolume(lun, 16 * MIB, false, false));
        fails(ErrorCode.OPERATION_UNSUPPORTED, () -> driver.openRead(volume(driver.refresh(), "unit:0:0:0"), 0, -1));
    }

    @Test
    void definitionsAreCheckedBeforeAnythingConnects() {
        IscsiDirectBackend backend = new IscsiDirectBackend();
        PoolDefinition noInitiator = PoolDefinition.builder(PoolType.ISCSI_DIRECT, "p").source(PoolSource.builder()
                .host(PoolSource.Host.of("127.0.0.1")).device(Path.of(lunsTarget)).build()).build();
        assertTrue(fails(ErrorCode.INVALID_DEFINITION, () -> backend.validate(noInitiator)).getMessage()
                .contains("initiator IQN"));
        // Any target name libvirt takes is taken ("demo-target" is in libvirt's own tests); only
        // what cannot travel in a login request is refused.
        backend.validate(pool("p", 3260, "demo-target", Optional.empty()));
        fails(ErrorCode.INVALID_DEFINITION, () -> backend.validate(pool("p", 3260, "a\ttarget", Optional.empty())));
        fails(ErrorCode.INVALID_DEFINITION, () -> backend.validate(pool("p", 3260, "t".repeat(224), Optional.empty())));
        fails(ErrorCode.INVALID_DEFINITION, () -> backend.validate(pool("p", 3260, lunsTarget,
                Optional.of(new PoolSource.Auth("ceph", "alice", PoolSource.SecretRef.ofUsage("x"))))));
        PoolDefinition twoHosts = PoolDefinition.builder(PoolType.ISCSI_DIRECT, "p").source(PoolSource.builder()
                .host(PoolSource.Host.of("a")).host(PoolSource.Host.of("b")).device(Path.of(lunsTarget))
                .initiatorIqn(INITIATOR).build()).build();
        fails(ErrorCode.INVALID_DEFINITION, () -> backend.validate(twoHosts));
    }

    @Test
    void aClosedPortIsAPreciseConnectError() throws Exception {
        int closed;
        try (var s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        StorageException e = fails(ErrorCode.IO_ERROR, open(pool("gone", closed, lunsTarget, Optional.empty()))::start);
        assertTrue(e.getMessage().contains("Cannot connect to target " + lunsTarget + " at 127.0.0.1:" + closed),
                e.getMessage());
        assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
    }

    @Test
    void anUnknownTargetIsNoSuchDevice() {
        fails(ErrorCode.NO_SUCH_DEVICE, open(pool("p", tgtd.port(), Tgtd.IQN_PREFIX + "missing", Optional.empty()))::start);
    }

    @Test
    void chapLogsInWithTheSecretFromTheStore() {
        PoolDriver driver = open(pool("guarded", tgtd.port(), chapTarget, Optional.of(
                new PoolSource.Auth("chap", "alice", PoolSource.SecretRef.ofUsage("iscsi-chap")))));
        driver.start();
        assertEquals(MIB, volume(driver.refresh(), "unit:0:0:1").capacity());
    }

    @Test
    void aWrongChapSecretIsPermissionDeniedAndNeverShown() {
        PoolDefinition definition = pool("guarded", tgtd.port(), chapTarget, Optional.of(
                new PoolSource.Auth("chap", "alice", PoolSource.SecretRef.ofUsage("wrong-chap"))));
        PoolDriver driver = open(definition);
        StorageException e = fails(ErrorCode.PERMISSION_DENIED, driver::start);
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(t.getMessage().contains("not-the-password"), t::getMessage);
            assertFalse(t.toString().contains("not-the-password"), t::toString);
        }
        assertFalse(driver.toString().contains("not-the-password"));
        String xml = PoolXml.write(definition, Optional.empty());
        assertTrue(xml.contains("usage=\"wrong-chap\"") || xml.contains("usage='wrong-chap'"), xml);
        assertFalse(xml.contains("not-the-password") || xml.contains(PASSWORD), xml);
    }

    @Test
    void aSecretMissingFromTheStoreIsReportedByItsReference() {
        StorageException e = fails(ErrorCode.INVALID_DEFINITION, open(pool("guarded", tgtd.port(), chapTarget,
                Optional.of(new PoolSource.Auth("chap", "alice", PoolSource.SecretRef.ofUsage("absent")))))::start);
        assertTrue(e.getMessage().contains("usage 'absent'"), e.getMessage());
    }

    @Test
    void aLunThatDoesNotExistIsNoSuchVolume() {
        PoolDriver driver = started(lunsTarget);
        VolumeDefinition stale = volume(driver.refresh(), "unit:0:0:1").toBuilder().build();
        VolumeDefinition missing = VolumeDefinition.builder("unit:0:0:9", MIB).key("k").build();
        fails(ErrorCode.NO_SUCH_VOLUME, () -> driver.openRead(missing, 0, -1));
        fails(ErrorCode.NO_SUCH_VOLUME, () -> driver.wipeVolume(missing, WipeAlgorithm.ZERO, ProgressListener.NONE));
        fails(ErrorCode.NO_SUCH_VOLUME, () -> driver.openWrite(VolumeDefinition.builder("disk", MIB).build(), 0, -1));
        assertEquals(8 * MIB, stale.capacity());
    }

    @Test
    void anInterruptedTransferOrWipeIsCancelled() throws Exception {
        PoolDriver driver = started(lunsTarget);
        VolumeDefinition lun = volume(driver.refresh(), "unit:0:0:2");
        try (ReadableByteChannel in = driver.openRead(lun, 0, -1)) {
            Thread.currentThread().interrupt();
            fails(ErrorCode.CANCELLED, () -> in.read(ByteBuffer.allocate(4096)));
            assertFalse(in.isOpen(), "a cancelled download logs out at once");
        }
        Thread.currentThread().interrupt();
        try {
            fails(ErrorCode.CANCELLED, () -> driver.wipeVolume(lun, WipeAlgorithm.ZERO, ProgressListener.NONE));
        } finally {
            Thread.interrupted();
        }
    }
}
