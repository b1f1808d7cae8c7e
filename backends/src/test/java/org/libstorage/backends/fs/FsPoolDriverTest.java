package org.libstorage.backends.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.Mount;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.testing.Requirements;

/** fs pools on real loop devices: mkfs, mount through libmount, file volumes as in a dir pool. */
class FsPoolDriverTest {
    private static final long MIB = LoopFixture.MIB;
    private final FsBackend backend = new FsBackend();

    @TempDir
    Path dir;

    private PoolDriver pool(Path device, String format, String... mountOptions) {
        PoolDefinition.Builder b = PoolDefinition.builder(PoolType.FS, "files")
                .source(PoolSource.builder().device(device).format(format).build())
                .targetPath(dir.resolve("mnt"));
        for (String option : mountOptions) {
            b.mountOption(option);
        }
        return backend.open(b.build(), new BackendContext(dir.resolve("state"), null));
    }

    private Optional<Mount.MountEntry> mountAt(Path target) {
        return Mount.instance().mountTable().stream().filter(e -> e.target().equals(target)).findFirst();
    }

    @Test
    void buildsMountsHoldsFileVolumesAndUnmounts() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("fs.img", 64 * MIB);
            PoolDriver pool = pool(loop.path(), "ext4", "noatime", "nodev");
            pool.build(BuildMode.NO_OVERWRITE);
            assertEquals(Optional.of("ext4"), Blkid.instance().probe(loop.path()).type());
            assertFalse(pool.isActive());

            pool.start();
            assertTrue(pool.isActive());
            Mount.MountEntry mounted = mountAt(dir.resolve("mnt")).orElseThrow();
            assertEquals("ext4", mounted.fsType());
            assertTrue(mounted.options().contains("noatime") && mounted.options().contains("nodev"), mounted.options());

            PoolContents empty = pool.refresh();
            assertTrue(empty.info().capacity() > 50 * MIB && empty.info().capacity() <= 64 * MIB,
                    "the mounted filesystem's size: " + empty.info());
            VolumeDefinition created = pool.createVolume(VolumeDefinition.builder("disk.raw", 8 * MIB).build());
            assertEquals(Optional.of(dir.resolve("mnt/disk.raw")), created.path());
            assertEquals(List.of("disk.raw", "lost+found"),
                    pool.refresh().volumes().stream().map(VolumeDefinition::name).toList(), "as a dir pool lists them");

            pool.stop();
            assertFalse(pool.isActive());
            assertTrue(mountAt(dir.resolve("mnt")).isEmpty());
            assertFalse(Files.exists(dir.resolve("mnt/disk.raw")), "the file lives on the unmounted filesystem");

            pool.start();
            assertTrue(pool.refresh().volumes().stream().anyMatch(v -> v.name().equals("disk.raw")),
                    "the volume is back after a remount");
            pool.stop();
        }
    }

    @Test
    void startingOnAnotherFilesystemThanDefinedIsRefusedBeforeMounting() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext2"), "mkfs.ext2 (Debian e2fsprogs)");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("ext2.img", 32 * MIB);
            pool(loop.path(), "ext2").build(BuildMode.NO_OVERWRITE);
            String uuid = Blkid.instance().probe(loop.path()).uuid().orElseThrow();
            StorageException e = assertThrows(StorageException.class, () -> pool(loop.path(), "xfs").start());
            assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
            assertEquals("The device " + loop.path() + " holds a filesystem of type ext2 (UUID " + uuid
                    + "), but pool 'files' is defined as xfs.", e.getMessage());
            assertTrue(mountAt(dir.resolve("mnt")).isEmpty(), "nothing was mounted");

            PoolDriver auto = pool(loop.path(), "auto");
            auto.start();
            assertEquals("ext2", mountAt(dir.resolve("mnt")).orElseThrow().fsType(), "auto mounts what is there");
            auto.stop();
        }
    }

    @Test
    void buildRefusesExistingDataUnlessOverwriteAndAMountedDeviceAlways() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.xfs") && Requirements.hasCommand("mkfs.ext4"),
                "mkfs.xfs and mkfs.ext4");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("data.img", 320 * MIB);
            LoopFixture.run("mkfs.xfs", "-q", loop.path().toString());
            String uuid = Blkid.instance().probe(loop.path()).uuid().orElseThrow();
            byte[] before = LoopFixture.fingerprint(loop.path());
            PoolDriver pool = pool(loop.path(), "ext4");

            StorageException refused = assertThrows(StorageException.class, () -> pool.build(BuildMode.NO_OVERWRITE));
            assertEquals(ErrorCode.DEVICE_BUSY, refused.code());
            assertEquals(loop.path() + " already holds an xfs filesystem (UUID " + uuid
                    + "); build with overwrite to erase it.", refused.getMessage());
            assertArrayEquals(before, LoopFixture.fingerprint(loop.path()), "nothing was written");

            Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
            Mount.instance().mount(loop.path(), elsewhere, Optional.of("xfs"), List.of());
            List<Blkid.Signature> mounted = Blkid.instance().signatures(loop.path());
            StorageException busy = assertThrows(StorageException.class, () -> pool.build(BuildMode.OVERWRITE));
            assertEquals(ErrorCode.DEVICE_BUSY, busy.code());
            assertTrue(busy.getMessage().contains("is mounted on " + elsewhere), busy.getMessage());
            assertEquals(mounted, Blkid.instance().signatures(loop.path()), "the mounted xfs is untouched");
            Mount.instance().unmount(elsewhere);

            pool.build(BuildMode.OVERWRITE);
            assertEquals(Optional.of("ext4"), Blkid.instance().probe(loop.path()).type());
        }
    }

    @Test
    void badInputChangesNothing() throws Exception {
        StorageException missing = assertThrows(StorageException.class,
                () -> pool(dir.resolve("sdz"), "ext4").build(BuildMode.OVERWRITE));
        assertEquals(ErrorCode.NO_SUCH_DEVICE, missing.code());
        Path file = Files.write(dir.resolve("file.img"), new byte[1 << 20]);
        StorageException notBlock = assertThrows(StorageException.class, () -> pool(file, "ext4").start());
        assertEquals(ErrorCode.INVALID_ARGUMENT, notBlock.code());

        StorageException unknown = assertThrows(StorageException.class, () -> pool(file, "nosuchfs"));
        assertEquals(ErrorCode.INVALID_DEFINITION, unknown.code());
        assertEquals("The format 'nosuchfs' of pool 'files' is not a filesystem type (use ext4, xfs, btrfs, vfat, ... or auto).",
                unknown.getMessage());

        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("iso.img", 16 * MIB);
            byte[] before = LoopFixture.fingerprint(loop.path());
            StorageException noMkfs = assertThrows(StorageException.class,
                    () -> pool(loop.path(), "iso9660").build(BuildMode.OVERWRITE));
            assertEquals(ErrorCode.INVALID_DEFINITION, noMkfs.code());
            assertTrue(noMkfs.getMessage().startsWith("No mkfs is known for the format 'iso9660'"), noMkfs.getMessage());
            StorageException auto = assertThrows(StorageException.class,
                    () -> pool(loop.path(), "auto").build(BuildMode.OVERWRITE));
            assertEquals(ErrorCode.INVALID_DEFINITION, auto.code());
            StorageException empty = assertThrows(StorageException.class, () -> pool(loop.path(), "ext4").start());
            assertEquals(ErrorCode.INVALID_DEFINITION, empty.code());
            assertEquals("The device " + loop.path() + " of pool 'files' holds no filesystem; build the pool first.",
                    empty.getMessage());
            assertArrayEquals(before, LoopFixture.fingerprint(loop.path()), "nothing was written");
        }
    }

    @Test
    void findsDevicesHoldingFilesystems() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("found.img", 16 * MIB);
            pool(loop.path(), "ext4").build(BuildMode.NO_OVERWRITE);
            List<PoolSource> sources = backend.findPoolSources(Optional.empty());
            assertTrue(sources.stream().anyMatch(s -> s.devices().getFirst().path().equals(loop.path())
                    && s.format().equals(Optional.of("ext4"))), sources.toString());
        }
    }
}
