package org.libstorage.backends.disk;

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
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.testing.Requirements;

/**
 * The seed's "n x Volume -> Pool -> n x Volume", end to end through {@link Storage}: a disk
 * pool on a loop device hands out a partition, the partition is the source of an fs pool, and
 * that pool hands out files. The host-device listing shows the chain.
 */
class NestingStorageTest {
    private static final long MIB = LoopFixture.MIB;

    @TempDir
    Path dir;

    @Test
    void aPartitionVolumeBecomesTheSourceOfAFilesystemPool() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        try (LoopFixture loops = new LoopFixture(dir);
             Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")))) {
            LoopDevice loop = loops.attach("disk.img", 128 * MIB);
            String disk = loop.path().getFileName().toString();

            Pool disks = storage.definePool(PoolDefinition.builder(PoolType.DISK, "disks")
                    .source(PoolSource.builder().device(loop.path()).format("gpt").build()).targetPath(Path.of("/dev")).build());
            disks.build(BuildMode.NO_OVERWRITE);
            disks.start();
            Volume partition = disks.createVolume(VolumeDefinition.builder("data", 48 * MIB)
                    .format(new VolumeFormat("linux")).build());
            disks.createVolume(VolumeDefinition.builder("spare", 16 * MIB).format(new VolumeFormat("linux-lvm")).build());
            assertEquals(disk + "p1", partition.name());
            assertEquals(loop.partition(1), partition.path());
            assertEquals(List.of(disk + "p1", disk + "p2"), disks.volumes().stream().map(Volume::name).toList());
            assertEquals(Optional.of(partition.key()), storage.volumeByPath(loop.partition(1)).map(Volume::key));
            disks.refresh();
            assertTrue(disks.toXml().contains("<freeExtent start="), "the active disk pool's XML lists free extents");

            Path mountPoint = dir.resolve("files");
            Pool files = storage.definePool(PoolDefinition.builder(PoolType.FS, "files")
                    .source(PoolSource.builder().device(partition.path()).format("ext4").build())
                    .targetPath(mountPoint).mountOption("noatime").build());
            files.build(BuildMode.NO_OVERWRITE);
            files.start();
            try {
                assertTrue(files.isActive());
                Volume a = files.createVolume(VolumeDefinition.builder("a.img", 4 * MIB).build());
                Volume b = files.createVolume(VolumeDefinition.builder("b.qcow2", 64 * MIB)
                        .format(VolumeFormat.QCOW2).build());
                assertEquals(mountPoint.resolve("a.img"), a.path());
                assertEquals(mountPoint.resolve("b.qcow2"), b.path());
                assertTrue(files.info().capacity() <= 48 * MIB, "the pool is the partition's filesystem: " + files.info());

                List<HostDevice> devices = storage.hostDevices();
                HostDevice loopDevice = devices.stream().filter(d -> d.name().equals(disk)).findFirst().orElseThrow();
                HostDevice part = devices.stream().filter(d -> d.name().equals(disk + "p1")).findFirst().orElseThrow();
                assertEquals(Optional.of(loop.backingFile()), loopDevice.backingFile());
                assertEquals(Optional.of("gpt"), loopDevice.probe().partitionTableType());
                assertEquals(Optional.of(disk), part.parent());
                assertEquals(Optional.of(partition.key()), part.probe().partitionUuid());
                assertEquals(Optional.of("ext4"), part.probe().type());
                assertEquals(List.of(mountPoint), part.mountPoints());

                StorageException busy = assertThrows(StorageException.class, partition::delete);
                assertEquals(ErrorCode.DEVICE_BUSY, busy.code(), "a mounted partition cannot be deleted");
                StorageException rebuild = assertThrows(StorageException.class, () -> disks.build(BuildMode.OVERWRITE));
                assertEquals(ErrorCode.POOL_ACTIVE, rebuild.code(), "nor its disk relabelled (the core refuses first;"
                        + " DiskPoolDriverTest shows the driver's own DEVICE_BUSY)");
            } finally {
                files.stop();
            }
            assertFalse(files.isActive());
            partition.delete();
            assertFalse(Files.exists(loop.partition(1)));
            assertEquals(List.of(disk + "p2"), disks.volumes().stream().map(Volume::name).toList());
        }
    }
}
