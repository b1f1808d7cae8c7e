package org.libstorage.backends.zfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BackendStatus;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.ResizeOption;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.RequiresKernel;

/** A zfs pool end to end through {@link Storage}, on a loop device, in a kernel with ZFS (the lab). */
@RequiresKernel(KernelFeature.ZFS)
class ZfsStorageTest {
    private static final long MIB = ZfsLab.MIB;

    @TempDir
    Path dir;

    @Test
    void aPoolFromBuildToDeleteWithEveryVolumeOperation() throws Exception {
        try (ZfsLab lab = new ZfsLab(dir);
             Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage")))) {
            BackendStatus status = storage.backends().stream().filter(b -> b.type() == PoolType.ZFS).findFirst()
                    .orElseThrow();
            assertTrue(status.available(), status.toString());

            String name = lab.poolName();
            LoopDevice device = lab.device("vdev.img", 256 * MIB);
            Pool pool = storage.definePool(PoolDefinition.builder(PoolType.ZFS, name)
                    .source(PoolSource.builder().name(name).device(device.path()).build()).build());
            assertEquals(Optional.of(Path.of("/dev/zvol", name)), pool.definition().targetPath());
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            assertTrue(pool.isActive());
            assertTrue(pool.info().capacity() > 100 * MIB, pool.info().toString());

            // A sparse zvol takes no space; a full one reserves its size and more.
            Volume sparse = pool.createVolume(VolumeDefinition.builder("sparse", 16 * MIB).allocation(0).build());
            assertEquals(name + "/sparse", sparse.key());
            assertEquals(16 * MIB, sparse.info().capacity());
            assertTrue(sparse.info().allocation() < MIB, sparse.info().toString());
            Volume full = pool.createVolume(VolumeDefinition.builder("full", 16 * MIB).build());
            assertTrue(full.info().allocation() >= 16 * MIB, full.info().toString());
            pool.refresh();
            assertEquals(List.of("full", "sparse"), pool.volumes().stream().map(Volume::name).sorted().toList());
            assertEquals(Optional.of(sparse.key()), storage.volumeByKey(sparse.key()).map(Volume::key));
            assertTrue(Files.exists(sparse.path()), "the zvol's device " + sparse.path() + " exists");

            // Upload, download: byte for byte through the block device.
            byte[] data = new byte[4 * (int) MIB];
            new Random(13).nextBytes(data);
            try (WritableByteChannel out = sparse.upload(MIB, data.length)) {
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
            assertArrayEquals(data, read(sparse, MIB, data.length));

            // A snapshot and a clone: writable, instant, sharing the origin's blocks.
            Volume snap = sparse.snapshot("snap1");
            assertEquals(Optional.of(Path.of("/dev/zvol", name, "sparse@snap1")),
                    snap.definition().backingStore().map(VolumeDefinition.BackingStore::path));
            Volume clone = sparse.cloneAs("clone1", ProgressListener.NONE);
            assertEquals(Optional.of(Path.of("/dev/zvol", name, "sparse@clone1")),
                    clone.definition().backingStore().map(VolumeDefinition.BackingStore::path));
            assertTrue(clone.info().allocation() < MIB, "a clone takes no space: " + clone.info());
            assertArrayEquals(data, read(clone, MIB, data.length));
            assertArrayEquals(data, read(snap, MIB, data.length));

            // The origin cannot go while clones depend on it, and the error says which.
            StorageException busy = assertThrows(StorageException.class, sparse::delete);
            assertEquals(ErrorCode.DEVICE_BUSY, busy.code());
            assertTrue(busy.getMessage().contains(name + "/clone1") && busy.getMessage().contains(name + "/snap1"),
                    busy.getMessage());
            clone.delete();
            snap.delete();
            sparse.delete();
            pool.refresh();
            assertEquals(List.of("full"), pool.volumes().stream().map(Volume::name).toList());
            assertEquals("", ZfsLab.run("zfs", "list", "-H", "-t", "snapshot", "-r", name).strip(),
                    "the clones' origin snapshots went with them");

            // Resize: grow, refuse to shrink unless asked.
            full.resize(32 * MIB);
            assertEquals(32 * MIB, full.info().capacity());
            StorageException shrink = assertThrows(StorageException.class, () -> full.resize(8 * MIB));
            assertEquals(ErrorCode.INVALID_ARGUMENT, shrink.code());
            full.resize(8 * MIB, ResizeOption.ALLOW_SHRINK);
            assertEquals(8 * MIB, full.info().capacity());

            // Wipe: zeros read back.
            try (WritableByteChannel out = full.upload(0, MIB)) {
                out.write(ByteBuffer.wrap(data, 0, (int) MIB));
            }
            full.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE);
            assertArrayEquals(new byte[(int) MIB], read(full, 0, MIB));
            full.delete();

            pool.stop();
            pool.delete();
            assertFalse(ZfsLab.run("zpool", "list", "-H", "-o", "name").lines().anyMatch(name::equals),
                    "pool-delete destroyed the ZFS pool");
        }
    }

    @Test
    void aPoolManagedElsewhereIsOnlyCheckedAndStopLeavesItImported() throws Exception {
        try (ZfsLab lab = new ZfsLab(dir);
             Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage")))) {
            String name = lab.pool(128 * MIB);
            ZfsLab.run("zfs", "create", "-o", "mountpoint=none", name + "/vms");
            ZfsLab.run("zfs", "create", "-V", "8M", name + "/vms/outside");
            ZfsLab.run("zfs", "create", "-V", "8M", name + "/elsewhere");
            Pool pool = storage.definePool(PoolDefinition.builder(PoolType.ZFS, "vms")
                    .source(PoolSource.builder().name(name + "/vms").build()).build());
            pool.start();
            assertEquals(List.of("outside"), pool.volumes().stream().map(Volume::name).toList(),
                    "only the zvols directly under the dataset");
            pool.stop();
            assertTrue(ZfsLab.run("zpool", "list", "-H", "-o", "name").lines().anyMatch(name::equals),
                    "a pool imported by someone else stays imported");
        }
    }

    @Test
    void anExportedPoolIsImportedByStartAndExportedByStop() throws Exception {
        try (ZfsLab lab = new ZfsLab(dir);
             Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage")))) {
            String name = lab.poolName();
            LoopDevice device = lab.device("vdev.img", 128 * MIB);
            ZfsLab.run("zpool", "create", "-m", "none", name, device.path().toString());
            ZfsLab.run("zfs", "create", "-V", "8M", name + "/disk");
            ZfsLab.export(name);

            assertTrue(storage.findPoolSources(PoolType.ZFS, Optional.empty()).stream()
                    .anyMatch(s -> s.name().equals(Optional.of(name))), "find-pool-sources offers the exported pool");
            Pool pool = storage.definePool(PoolDefinition.builder(PoolType.ZFS, name)
                    .source(PoolSource.builder().name(name).device(device.path()).build()).build());
            pool.start();
            assertEquals(List.of("disk"), pool.volumes().stream().map(Volume::name).toList());
            pool.stop();
            assertFalse(ZfsLab.run("zpool", "list", "-H", "-o", "name").lines().anyMatch(name::equals),
                    "stop exported the pool start imported");
            pool.start();
            pool.stop();
        }
    }

    @Test
    void copiesFromAnotherPoolGoThroughTheBlockDevice() throws Exception {
        try (ZfsLab lab = new ZfsLab(dir);
             Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage")))) {
            String name = lab.pool(128 * MIB);
            Path images = Files.createDirectories(dir.resolve("images"));
            Pool files = storage.definePool(PoolDefinition.builder(PoolType.DIR, "files").targetPath(images).build());
            files.start();
            Volume image = files.createVolume(VolumeDefinition.builder("disk.img", 8 * MIB).allocation(0).build());
            byte[] data = new byte[(int) MIB];
            new Random(7).nextBytes(data);
            try (WritableByteChannel out = image.upload(3 * MIB, data.length)) {
                out.write(ByteBuffer.wrap(data));
            }
            Pool zvols = storage.definePool(PoolDefinition.builder(PoolType.ZFS, name)
                    .source(PoolSource.builder().name(name).build()).build());
            zvols.start();
            Volume copy = zvols.createVolumeFrom(VolumeDefinition.builder("copy", 8 * MIB).allocation(0).build(), image,
                    ProgressListener.NONE);
            assertArrayEquals(data, read(copy, 3 * MIB, MIB));
            assertArrayEquals(new byte[(int) MIB], read(copy, 0, MIB));
            assertTrue(copy.definition().backingStore().isEmpty(), "a copy from elsewhere is no clone");

            Volume back = files.createVolumeFrom(VolumeDefinition.builder("back.img", 8 * MIB).build(), copy,
                    ProgressListener.NONE);
            assertArrayEquals(data, read(back, 3 * MIB, MIB));
        }
    }

    static byte[] read(Volume volume, long offset, long length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) length);
        try (ReadableByteChannel in = volume.download(offset, length)) {
            while (buffer.hasRemaining() && in.read(buffer) >= 0) {
                // keep reading
            }
        }
        return buffer.array();
    }

    static byte[] readDevice(Path device, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try (FileChannel channel = FileChannel.open(device)) {
            channel.read(buffer, offset);
        }
        return buffer.array();
    }
}
