package org.libstorage.backends.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.HostDevice;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.backends.logical.LogicalBackend;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.Requirements;
import org.libstorage.testing.RequiresKernel;

/**
 * Four levels of "volume becomes pool" through {@link Storage}: a disk pool on a loop device
 * hands out a partition, the partition is the PV of a logical pool, the pool's active LV is the
 * source of an fs pool, and that pool hands out files. Needs device-mapper for the LV's device.
 */
@RequiresKernel(KernelFeature.DEVICE_MAPPER)
class DeepNestingStorageTest {
    private static final long MIB = LoopFixture.MIB;

    @TempDir
    Path dir;

    @Test
    void diskPoolPartitionPhysicalVolumeLogicalVolumeFilesystemPoolFiles() throws Exception {
        Requirements.requireCommand("mkfs.ext4", "e2fsprogs");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("disk.img", 128 * MIB);
            // LVM sees only the partition the disk pool makes, and keeps its locks and backups in
            // the test's directory.
            Files.createDirectories(dir.resolve("lock"));
            String lvmConfig = "devices{global_filter=[\"a|^" + loop.partition(1)
                    + "$|\",\"r|.*|\"] use_devicesfile=0 obtain_device_list_from_udev=0}"
                    + " global{locking_dir=\"" + dir.resolve("lock") + "\"}"
                    + " backup{backup_dir=\"" + dir.resolve("backup") + "\" archive_dir=\"" + dir.resolve("archive") + "\"}";
            try (Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config"))
                    .withBackendOption(LogicalBackend.CONFIG_OPTION, lvmConfig))) {
                nest(loop, storage);
            }
        }
    }

    private void nest(LoopDevice loop, Storage storage) throws Exception {
        String disk = loop.path().getFileName().toString();
        Pool disks = storage.definePool(PoolDefinition.builder(PoolType.DISK, "disks")
                .source(PoolSource.builder().device(loop.path()).format("gpt").build())
                .targetPath(Path.of("/dev")).build());
        disks.build(BuildMode.NO_OVERWRITE);
        disks.start();
        Volume partition = disks.createVolume(VolumeDefinition.builder("pv", 96 * MIB)
                .format(new VolumeFormat("linux-lvm")).build());
        assertEquals(loop.partition(1), partition.path());

        String vg = "ls_nest_" + UUID.randomUUID().toString().substring(0, 8);
        Pool group = storage.definePool(PoolDefinition.builder(PoolType.LOGICAL, vg)
                .source(PoolSource.builder().device(partition.path()).build()).build());
        group.build(BuildMode.NO_OVERWRITE);
        group.start();
        try {
            Volume lv = group.createVolume(VolumeDefinition.builder("files", 48 * MIB).build());
            assertEquals(Path.of("/dev", vg, "files"), lv.path());
            assertEquals(Optional.of(lv.key()), storage.volumeByPath(lv.path()).map(Volume::key));

            Path mountPoint = dir.resolve("files");
            Pool files = storage.definePool(PoolDefinition.builder(PoolType.FS, "files")
                    .source(PoolSource.builder().device(lv.path()).format("ext4").build())
                    .targetPath(mountPoint).build());
            files.build(BuildMode.NO_OVERWRITE);
            files.start();
            try {
                Volume image = files.createVolume(VolumeDefinition.builder("vm.img", 8 * MIB).build());
                assertEquals(mountPoint.resolve("vm.img"), image.path());
                assertTrue(files.info().capacity() <= 48 * MIB, "the pool is the LV's filesystem: " + files.info());

                List<HostDevice> devices = storage.hostDevices();
                HostDevice part = devices.stream().filter(d -> d.name().equals(disk + "p1")).findFirst().orElseThrow();
                HostDevice dm = devices.stream().filter(d -> d.path().equals(Path.of("/dev/mapper", vg + "-files")))
                        .findFirst().orElseThrow(() -> new AssertionError("no /dev/mapper/" + vg + "-files in " + devices));
                assertEquals(Optional.of(disk), part.parent());
                assertEquals(Optional.of("LVM2_member"), part.probe().type());
                assertEquals(List.of(dm.name()), part.holders(), "the partition holds the LV");
                assertEquals(List.of(disk + "p1"), dm.slaves());
                assertEquals(Optional.of("ext4"), dm.probe().type());
                assertEquals(List.of(mountPoint), dm.mountPoints());

                StorageException busy = assertThrows(StorageException.class, lv::delete);
                assertEquals(ErrorCode.DEVICE_BUSY, busy.code(), "a mounted LV cannot be deleted: " + busy);
                image.delete();
            } finally {
                files.stop();
            }
            files.undefine();
            lv.delete();
            assertEquals(List.of(), group.volumes());
        } finally {
            group.stop();
            group.delete();
        }
        assertFalse(group.isActive());
        partition.delete();
        assertEquals(List.of(), disks.volumes());
    }
}
