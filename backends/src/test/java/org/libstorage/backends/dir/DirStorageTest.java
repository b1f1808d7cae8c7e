package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.backends.dir.Pools.GIB;
import static org.libstorage.backends.dir.Pools.MIB;
import static org.libstorage.backends.dir.Pools.fails;

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.ResizeOption;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;

/** The dir backend end to end, through the public {@link Storage} API as a user meets it. */
class DirStorageTest {
    @TempDir
    Path temp;

    private Storage storage() {
        return Storage.open(StorageConfig.ofDirectory(temp.resolve("config")));
    }

    private Pool startedPool(Storage storage, String name) {
        Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, name).targetPath(temp.resolve(name)).build());
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        return pool;
    }

    /**
     * A create in a Storage that holds no current listing of the pool (a command's first call, or
     * after another process's change) does not list the pool first, and still refuses a taken
     * name and keeps every listing right.
     */
    @Test
    void createsWithoutAListingAndListingsStayRight() {
        try (Storage first = storage(); Storage second = storage()) {
            Pool pool = startedPool(first, "images");
            pool.createVolume(VolumeDefinition.builder("a.img", MIB).build());
            assertEquals(List.of("a.img"), pool.volumes().stream().map(Volume::name).toList());

            Pool other = second.pool("images").orElseThrow();
            fails(ErrorCode.VOLUME_EXISTS, () -> other.createVolume(VolumeDefinition.builder("a.img", 2 * MIB).build()));
            Volume b = other.createVolume(VolumeDefinition.builder("b.img", 2 * MIB).build());
            assertEquals(2 * MIB, b.info().capacity());

            // The first Storage's listing is stale now: a create there, then its listing, sees both.
            pool.createVolume(VolumeDefinition.builder("c.img", MIB).build());
            assertEquals(List.of("a.img", "b.img", "c.img"), pool.volumes().stream().map(Volume::name).toList());
            assertEquals(List.of("a.img", "b.img", "c.img"), other.volumes().stream().map(Volume::name).toList());
            assertEquals(MIB, other.requireVolume("c.img").info().capacity());
            assertTrue(pool.status().info().capacity() > 0);
        }
    }

    @Test
    void theSeedsMainJob() throws Exception {
        try (Storage storage = storage()) {
            Pool pool = startedPool(storage, "images");
            assertTrue(pool.isActive());

            Volume disk = pool.createVolume(VolumeDefinition.builder("vm1.img", 10 * GIB).build());
            assertEquals(10 * GIB, disk.info().capacity());
            assertEquals(0, disk.info().allocation());
            assertEquals(temp.resolve("images").toRealPath().resolve("vm1.img"), disk.path());
            assertEquals(disk.path().toString(), disk.key());

            byte[] data = new byte[(int) MIB];
            new Random(2).nextBytes(data);
            try (WritableByteChannel out = disk.upload(GIB, data.length)) {
                out.write(ByteBuffer.wrap(data));
            }
            assertArrayEquals(data, FileVolumesTest.readAll(disk.download(GIB, data.length)));

            Volume clone = disk.cloneAs("vm2.img", null);
            assertEquals(10 * GIB, clone.info().capacity());
            assertTrue(clone.info().allocation() < 2 * MIB, "the clone stays sparse");
            assertArrayEquals(data, FileVolumesTest.readAll(clone.download(GIB, data.length)));

            clone.resize(12 * GIB);
            assertEquals(12 * GIB, pool.requireVolume("vm2.img").info().capacity());
            fails(ErrorCode.INVALID_ARGUMENT, () -> pool.requireVolume("vm2.img").resize(GIB));
            pool.requireVolume("vm2.img").resize(GIB * 11, ResizeOption.ALLOW_SHRINK);

            clone.wipe(WipeAlgorithm.ZERO, null);
            assertTrue(FileVolumesTest.isAllZero(FileVolumesTest.readAll(pool.requireVolume("vm2.img").download(GIB, data.length))));

            assertEquals(Optional.of(disk.key()), storage.volumeByPath(temp.resolve("images/../images/vm1.img")).map(Volume::key));
            pool.requireVolume("vm2.img").delete();
            assertEquals(List.of("vm1.img"), pool.volumes().stream().map(Volume::name).toList());
        }
    }

    @Test
    void filesMadeOutsideTheLibraryAppearAfterRefreshAndVanishedOnesGo() throws Exception {
        try (Storage storage = storage()) {
            Pool pool = startedPool(storage, "images");
            Files.write(temp.resolve("images/outside.img"), new byte[4096]);
            pool.refresh();
            assertEquals(List.of("outside.img"), pool.volumes().stream().map(Volume::name).toList());
            Files.delete(temp.resolve("images/outside.img"));
            pool.refresh();
            assertEquals(List.of(), pool.volumes());
        }
    }

    @Test
    void volumeInfoAfterAnUploadShowsTheDataAllocated() throws Exception {
        try (Storage storage = storage()) {
            Pool pool = startedPool(storage, "images");
            Volume disk = pool.createVolume(VolumeDefinition.builder("vm1.img", 8 * MIB).build());
            assertEquals(0, disk.info().allocation());

            byte[] data = new byte[(int) MIB];
            java.util.Arrays.fill(data, (byte) 7);
            try (var channel = disk.upload(0, data.length)) {
                channel.write(java.nio.ByteBuffer.wrap(data));
            }

            assertTrue(disk.info().allocation() >= MIB, "vol-info re-reads the file, as libvirt does");
        }
    }

    @Test
    void copiesAcrossPoolsAndIntoQcow2() throws Exception {
        Machine.requireQemuImg();
        try (Storage storage = storage()) {
            Pool a = startedPool(storage, "a");
            Pool b = startedPool(storage, "b");
            Volume source = a.createVolume(VolumeDefinition.builder("disk.img", 256 * MIB).build());

            Volume copy = b.createVolumeFrom(VolumeDefinition.builder("disk.qcow2", 0).format(VolumeFormat.QCOW2).build(),
                    source, null);

            assertEquals(Optional.of(VolumeFormat.QCOW2), copy.definition().format());
            assertEquals(256 * MIB, copy.info().capacity());
            Volume snapshot = copy.snapshot("disk-snap.qcow2");
            assertEquals(copy.path(), snapshot.definition().backingStore().orElseThrow().path());
            fails(ErrorCode.VOLUME_EXISTS, () -> b.createVolumeFrom(VolumeDefinition.builder("disk.qcow2", 0).build(), source, null));
        }
    }

    @Test
    void badInputChangesNothing() {
        try (Storage storage = storage()) {
            Pool pool = startedPool(storage, "images");
            fails(ErrorCode.INVALID_ARGUMENT, () -> pool.createVolume(VolumeDefinition.builder("x", 0).build()));
            assertFalse(Files.exists(temp.resolve("images/x")));
            pool.createVolume(VolumeDefinition.builder("x", MIB).build());
            fails(ErrorCode.VOLUME_EXISTS, () -> pool.createVolume(VolumeDefinition.builder("x", MIB).build()));
        }
    }
}
