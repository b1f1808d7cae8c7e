package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.backends.dir.Pools.GIB;
import static org.libstorage.backends.dir.Pools.MIB;
import static org.libstorage.backends.dir.Pools.fails;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeDefinition.BackingStore;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.fallback.QemuImg;
import org.libstorage.spi.PoolDriver;

/** qcow2 volumes (qemu-img required; under CI=true its absence fails): create, backing, resize, wipe, snapshot. */
class ImageVolumesTest {
    @TempDir
    Path temp;
    Path target;
    PoolDriver pool;
    QemuImg qemuImg = new QemuImg(CommandRunner.create());

    @BeforeEach
    void startPool() {
        Machine.requireQemuImg();
        target = temp.resolve("images");
        pool = Pools.started("images", target);
    }

    private VolumeDefinition describe(String name) {
        return pool.refresh().volumes().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    private void qemuIoWrite(String name, long offset, long length) throws Exception {
        Machine.run("qemu-io", "-f", "qcow2", "-c", "write -P 7 " + offset + " " + length, target.resolve(name).toString());
    }

    @Test
    void aQcow2VolumeIsReportedFromItsHeaderAsQemuImgSeesIt() {
        VolumeDefinition created = pool.createVolume(Pools.qcow2("vm.qcow2", 20 * GIB));

        QemuImg.ImageInfo info = qemuImg.info(target.resolve("vm.qcow2"), Optional.of("qcow2"));
        assertEquals(20 * GIB, info.virtualSize());
        assertEquals(Optional.of(VolumeFormat.QCOW2), created.format());
        assertEquals(20 * GIB, created.capacity());
        assertEquals(info.compat(), created.target().compat());
        assertTrue(created.allocation().getAsLong() < MIB, "a fresh qcow2 is small on disk");
        assertTrue(created.physical().getAsLong() < MIB);
    }

    @Test
    void theClusterSizeIsAskedForAndReadBack() {
        VolumeDefinition asked = Pools.qcow2("vm.qcow2", GIB);
        VolumeDefinition.VolumeTarget t = asked.target();
        asked = asked.toBuilder().target(new VolumeDefinition.VolumeTarget(t.path(), t.format(), t.permissions(),
                t.timestamps(), t.compat(), t.nocow(), t.features(), t.encryption(), java.util.OptionalLong.of(128 * 1024))).build();

        VolumeDefinition created = pool.createVolume(asked);

        assertEquals(java.util.OptionalLong.of(128 * 1024), created.target().clusterSize());
        assertEquals(java.util.OptionalLong.of(128 * 1024), qemuImg.info(target.resolve("vm.qcow2"), Optional.of("qcow2")).clusterSize());
        VolumeDefinition rawWithCluster = Pools.raw("raw", GIB).toBuilder().target(new VolumeDefinition.VolumeTarget(
                Optional.empty(), Optional.of(VolumeFormat.RAW), Optional.empty(), Optional.empty(), Optional.empty(), false,
                java.util.List.of(), Optional.empty(), java.util.OptionalLong.of(65536))).build();
        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.createVolume(rawWithCluster));
    }

    @Test
    void anEncryptedVolumeIsRefusedRatherThanCreatedPlain() {
        VolumeDefinition encrypted = Pools.qcow2("secret.qcow2", GIB).toBuilder().target(new VolumeDefinition.VolumeTarget(
                Optional.empty(), Optional.of(VolumeFormat.QCOW2), Optional.empty(), Optional.empty(), Optional.empty(), false,
                java.util.List.of(), Optional.of(new VolumeDefinition.Encryption("luks", Optional.empty(), Optional.empty(),
                        Optional.empty(), Optional.empty())), java.util.OptionalLong.empty())).build();
        fails(ErrorCode.OPERATION_UNSUPPORTED, () -> pool.createVolume(encrypted));
        assertFalse(Files.exists(target.resolve("secret.qcow2")));
    }

    @Test
    void aPreallocatedQcow2TakesItsSpace() {
        VolumeDefinition created = pool.createVolume(VolumeDefinition.builder("vm.qcow2", 32 * MIB)
                .format(VolumeFormat.QCOW2).allocation(32 * MIB).build());
        assertTrue(created.allocation().getAsLong() >= 32 * MIB, () -> "allocated " + created.allocation());
    }

    @Test
    void aQcow2OverABackingStoreRecordsItAndRefreshFindsIt() {
        pool.createVolume(Pools.raw("base.img", GIB));
        Path base = target.resolve("base.img");

        VolumeDefinition overlay = pool.createVolume(VolumeDefinition.builder("overlay.qcow2", 0).format(VolumeFormat.QCOW2)
                .backingStore(new BackingStore(base, Optional.empty(), Optional.empty())).build());

        assertEquals(GIB, overlay.capacity(), "capacity 0 with a backing store takes the backing size");
        BackingStore backing = overlay.backingStore().orElseThrow();
        assertEquals(base, backing.path());
        assertEquals(Optional.of(VolumeFormat.RAW), backing.format(), "the format was probed and recorded");
        assertEquals(Optional.of(base.toString()), qemuImg.info(target.resolve("overlay.qcow2"), Optional.of("qcow2")).backingFilename());
    }

    @Test
    void aRawVolumeCannotHaveABackingStoreAndAMissingOneIsRefused() {
        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.createVolume(VolumeDefinition.builder("a", MIB).format(VolumeFormat.RAW)
                .backingStore(new BackingStore(temp.resolve("x"), Optional.empty(), Optional.empty())).build()));
        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.createVolume(VolumeDefinition.builder("b", MIB).format(VolumeFormat.QCOW2)
                .backingStore(new BackingStore(temp.resolve("missing"), Optional.empty(), Optional.empty())).build()));
        assertFalse(Files.exists(target.resolve("a")) || Files.exists(target.resolve("b")));
    }

    @Test
    void qcow2ResizeGrowsAndShrinksOnlyWithTheFlagAndNeverBelowData() throws Exception {
        VolumeDefinition image = pool.createVolume(Pools.qcow2("vm.qcow2", 100 * MIB));
        qemuIoWrite("vm.qcow2", 80 * MIB, MIB);
        image = describe("vm.qcow2");

        VolumeDefinition grown = pool.resizeVolume(image, 200 * MIB, false, false);
        assertEquals(200 * MIB, grown.capacity());

        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.resizeVolume(grown, 150 * MIB, false, false));
        var belowData = fails(ErrorCode.INVALID_ARGUMENT, () -> pool.resizeVolume(grown, 50 * MIB, true, false));
        assertTrue(belowData.getMessage().contains("holds data up to byte " + 81 * MIB), belowData.getMessage());
        assertEquals(200 * MIB, describe("vm.qcow2").capacity());

        assertEquals(90 * MIB, pool.resizeVolume(grown, 90 * MIB, true, false).capacity());
        fails(ErrorCode.OPERATION_UNSUPPORTED, () -> pool.resizeVolume(describe("vm.qcow2"), 120 * MIB, false, true));
    }

    @Test
    void wipingAQcow2LeavesAnEmptyImageOfTheSameSizeAndBacking() throws Exception {
        pool.createVolume(Pools.raw("base.img", 64 * MIB));
        pool.createVolume(VolumeDefinition.builder("vm.qcow2", 64 * MIB).format(VolumeFormat.QCOW2)
                .backingStore(new BackingStore(target.resolve("base.img"), Optional.of(VolumeFormat.RAW), Optional.empty())).build());
        qemuIoWrite("vm.qcow2", 0, 8 * MIB);
        VolumeDefinition before = describe("vm.qcow2");

        pool.wipeVolume(before, WipeAlgorithm.ZERO, null);

        VolumeDefinition after = describe("vm.qcow2");
        assertEquals(before.capacity(), after.capacity());
        assertEquals(before.backingStore().map(BackingStore::path), after.backingStore().map(BackingStore::path));
        assertEquals(before.target().permissions(), after.target().permissions());
        assertTrue(QemuMap.dataEndOf(Machine.run("qemu-img", "map", "--output=json", "-f", "qcow2",
                target.resolve("vm.qcow2").toString())).isEmpty(), "no data left (the backing file is all holes)");
        assertEquals(java.util.List.of("base.img", "vm.qcow2"),
                pool.refresh().volumes().stream().map(VolumeDefinition::name).toList(), "no temporary file left over");
    }

    @Test
    void withoutReflinksASnapshotIsAQcow2OverlayOnTheVolume() {
        VolumeDefinition base = pool.createVolume(Pools.raw("base.img", 256 * MIB));

        VolumeDefinition snapshot = pool.snapshotVolume(base, "base-snap");

        assertEquals(Optional.of(VolumeFormat.QCOW2), snapshot.format());
        assertEquals(256 * MIB, snapshot.capacity());
        assertEquals(base.path(), snapshot.backingStore().map(BackingStore::path));
        assertEquals(Optional.of(VolumeFormat.RAW), snapshot.backingStore().orElseThrow().format());
        fails(ErrorCode.VOLUME_EXISTS, () -> pool.snapshotVolume(base, "base-snap"));
    }

    @Test
    void downloadingAQcow2StreamsTheImageFileAsIs() throws Exception {
        VolumeDefinition image = pool.createVolume(Pools.qcow2("vm.qcow2", GIB));
        byte[] bytes = FileVolumesTest.readAll(pool.openRead(image, 0, -1));
        assertArrayEquals(Files.readAllBytes(target.resolve("vm.qcow2")), bytes);
        assertArrayEquals(new byte[] {'Q', 'F', 'I', (byte) 0xfb}, Arrays.copyOf(bytes, 4));
    }

    @Test
    void uploadingIntoAQcow2WritesTheImageFileAndExtendsItToTheLastByte() throws Exception {
        Path other = temp.resolve("other.qcow2");
        qemuImg.create(other, "qcow2", 64 * MIB);
        Machine.run("qemu-io", "-f", "qcow2", "-c", "write -P 9 0 1M", other.toString());
        byte[] image = Files.readAllBytes(other);
        byte[] upload = Arrays.copyOf(image, image.length + (int) MIB); // a trailing run of zeros, as an image may end
        VolumeDefinition volume = pool.createVolume(Pools.qcow2("vm.qcow2", GIB));

        try (var out = pool.openWrite(volume, 0, -1)) {
            out.write(java.nio.ByteBuffer.wrap(upload));
        }

        assertArrayEquals(upload, Files.readAllBytes(target.resolve("vm.qcow2")));
        VolumeDefinition after = describe("vm.qcow2");
        assertEquals(64 * MIB, after.capacity(), "the header now is the uploaded image's");
    }

    @Test
    void otherQemuFormatsAreCreatedAndRecognised() {
        for (String format : new String[] {"qed", "vmdk", "vdi", "vpc", "vhdx"}) {
            VolumeDefinition created = pool.createVolume(VolumeDefinition.builder("disk." + format, 64 * MIB)
                    .format(new VolumeFormat(format)).build());
            assertEquals(Optional.of(new VolumeFormat(format)), created.format());
            long qemuSize = qemuImg.info(target.resolve("disk." + format), Optional.of(format)).virtualSize();
            if (!format.equals("vhdx")) {
                assertEquals(qemuSize, created.capacity(), format);
            }
        }
    }
}
