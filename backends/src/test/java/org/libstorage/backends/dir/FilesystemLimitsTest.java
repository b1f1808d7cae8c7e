package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.backends.dir.Pools.GIB;
import static org.libstorage.backends.dir.Pools.MIB;
import static org.libstorage.backends.dir.Pools.fails;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.nativelib.Libc;
import org.libstorage.spi.PoolDriver;

/**
 * Integration: a pool on a 16 MiB tmpfs (root; under CI=true its absence fails) filling up
 * during create and clone, and a pool on a loop-mounted XFS with reflinks for instant clones
 * and snapshots.
 */
class FilesystemLimitsTest {
    @TempDir
    Path temp;

    private static long allocated(Path file) {
        return Libc.instance().statx(file, false).allocatedBytes();
    }

    @Test
    void aFullFilesystemDuringCreateIsNoSpaceAndLeavesNoFile() throws Exception {
        try (Machine.Mount small = Machine.Mount.tmpfs(temp.resolve("small"), "16m")) {
            PoolDriver pool = Pools.started("small", small.point().resolve("pool"));

            var e = fails(ErrorCode.NO_SPACE, () -> pool.createVolume(
                    VolumeDefinition.builder("big", 64 * MIB).allocation(64 * MIB).build()));
            assertTrue(e.getMessage().contains("bytes available"), e.getMessage());
            assertEquals(List.of(), pool.refresh().volumes());

            // A sparse volume needs no space at all: it fits whatever its capacity.
            assertEquals(GIB, pool.createVolume(Pools.raw("sparse", GIB)).capacity());
        }
    }

    @Test
    void onTmpfsWithoutZeroRangeAZeroWipePunchesAndAllocatesAgain() throws Exception {
        try (Machine.Mount mount = Machine.Mount.tmpfs(temp.resolve("tmpfs"), "64m")) {
            Path dir = mount.point().resolve("pool");
            PoolDriver pool = Pools.started("tmp", dir);
            pool.createVolume(VolumeDefinition.builder("disk", 8 * MIB).allocation(8 * MIB).build());
            byte[] random = new byte[(int) (8 * MIB)];
            new Random(8).nextBytes(random);
            Files.write(dir.resolve("disk"), random, StandardOpenOption.WRITE);

            pool.wipeVolume(pool.refresh().volumes().getFirst(), org.libstorage.WipeAlgorithm.ZERO, null);

            assertTrue(FileVolumesTest.isAllZero(Files.readAllBytes(dir.resolve("disk"))));
            assertTrue(allocated(dir.resolve("disk")) >= 8 * MIB, "still preallocated after the wipe");
        }
    }

    @Test
    void aFullFilesystemDuringCloneIsNoSpaceAndLeavesNoPartialCopy() throws Exception {
        PoolDriver big = Pools.started("big", temp.resolve("big"));
        big.createVolume(Pools.raw("data", 64 * MIB));
        byte[] random = new byte[(int) (24 * MIB)];
        new Random(5).nextBytes(random);
        try (FileChannel channel = FileChannel.open(temp.resolve("big/data"), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(random), 0);
        }
        VolumeDefinition source = big.refresh().volumes().getFirst();

        try (Machine.Mount small = Machine.Mount.tmpfs(temp.resolve("small"), "16m")) {
            PoolDriver pool = Pools.started("small", small.point().resolve("pool"));

            var e = fails(ErrorCode.NO_SPACE, () -> pool.createVolumeFrom(Pools.raw("copy", 0), Pools.source(big, source), null));

            assertTrue(e.getMessage().contains("full"), e.getMessage());
            assertEquals(List.of(), pool.refresh().volumes());
            assertTrue(Libc.instance().statvfs(small.point()).availableBytes() > 15 * MIB, "the partial copy's space came back");
        }
    }

    @Test
    void aFullFilesystemDuringAConversionIsNoSpaceAndLeavesNothing() throws Exception {
        Machine.requireQemuImg();
        PoolDriver big = Pools.started("big", temp.resolve("big"));
        big.createVolume(Pools.raw("data", 64 * MIB));
        byte[] random = new byte[(int) (24 * MIB)];
        new Random(6).nextBytes(random);
        try (FileChannel channel = FileChannel.open(temp.resolve("big/data"), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(random), 0);
        }
        VolumeDefinition source = big.refresh().volumes().getFirst();

        try (Machine.Mount small = Machine.Mount.tmpfs(temp.resolve("small"), "16m")) {
            PoolDriver pool = Pools.started("small", small.point().resolve("pool"));

            fails(ErrorCode.NO_SPACE, () -> pool.createVolumeFrom(Pools.qcow2("copy.qcow2", 0), Pools.source(big, source), null));

            assertEquals(List.of(), pool.refresh().volumes());
        }
    }

    @Test
    void onXfsWithReflinksClonesAndSnapshotsShareExtents() throws Exception {
        Path image = temp.resolve("xfs.img");
        try (Machine.Mount xfs = Machine.Mount.xfsWithReflink(image, temp.resolve("xfs"), 512 * MIB)) {
            PoolDriver pool = Pools.started("xfs", xfs.point().resolve("pool"));
            Path dir = xfs.point().resolve("pool");
            pool.createVolume(Pools.raw("base", GIB));
            byte[] data = new byte[(int) (64 * MIB)];
            new Random(9).nextBytes(data);
            try (FileChannel channel = FileChannel.open(dir.resolve("base"), StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(data), 512 * MIB);
                channel.force(true);
            }
            VolumeDefinition base = pool.refresh().volumes().getFirst();
            long freeBefore = Libc.instance().statvfs(dir).freeBytes();

            VolumeDefinition clone = pool.createVolumeFrom(Pools.raw("clone", 0), Pools.source(pool, base), null);
            VolumeDefinition snapshot = pool.snapshotVolume(base, "snap");

            long used = freeBefore - Libc.instance().statvfs(dir).freeBytes();
            assertTrue(used < 8 * MIB, "reflinks share the 64 MiB instead of copying it twice; used " + used);
            assertEquals(GIB, clone.capacity());
            assertEquals(java.util.Optional.of(VolumeFormat.RAW), snapshot.format(), "a reflink snapshot is a raw copy, not an overlay");
            for (String copy : List.of("clone", "snap")) {
                try (FileChannel channel = FileChannel.open(dir.resolve(copy))) {
                    ByteBuffer back = ByteBuffer.allocate(data.length);
                    channel.read(back, 512 * MIB);
                    assertEquals(ByteBuffer.wrap(data), back.flip(), copy);
                    assertEquals(GIB, channel.size());
                }
            }
            assertTrue(allocated(dir.resolve("clone")) <= 64 * MIB + MIB, "holes stay holes in a reflink");
        }
        assertFalse(Files.exists(temp.resolve("xfs/pool")), "unmounted");
    }
}
