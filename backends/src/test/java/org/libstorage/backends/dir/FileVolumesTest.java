package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.backends.dir.Pools.GIB;
import static org.libstorage.backends.dir.Pools.MIB;
import static org.libstorage.backends.dir.Pools.fails;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.Permissions;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.Stat;
import org.libstorage.spi.PoolDriver;

/** Raw volumes on the temp directory's filesystem (ext4 here): create, delete, resize, wipe, streams, symlinks. */
class FileVolumesTest {
    @TempDir
    Path temp;
    Path target;
    PoolDriver pool;

    @BeforeEach
    void startPool() {
        target = temp.resolve("images");
        pool = Pools.started("images", target);
    }

    private Stat stat(String name) {
        return Libc.instance().statx(target.resolve(name), false);
    }

    @Test
    void aSparseRawVolumeHasItsCapacityAndNoAllocation() {
        VolumeDefinition disk = pool.createVolume(Pools.raw("disk", 10 * GIB));

        assertEquals(10 * GIB, disk.capacity());
        assertEquals(0, disk.allocation().getAsLong());
        assertEquals(10 * GIB, stat("disk").size());
        assertEquals(0, stat("disk").allocatedBytes());
        assertEquals(Optional.of(VolumeFormat.RAW), disk.format());
    }

    @Test
    void aPreallocatedVolumeHasItsAllocationOnDiskWhichMayBeLessThanItsCapacity() {
        VolumeDefinition disk = pool.createVolume(VolumeDefinition.builder("disk", 64 * MIB).allocation(16 * MIB).build());

        assertEquals(64 * MIB, disk.capacity());
        assertTrue(disk.allocation().getAsLong() >= 16 * MIB && disk.allocation().getAsLong() < 20 * MIB,
                () -> "allocated " + disk.allocation());
    }

    @Test
    void permissionsComeFromTheDefinitionWhateverTheUmask() throws Exception {
        VolumeDefinition definition = VolumeDefinition.builder("disk", MIB)
                .target(VolumeDefinition.VolumeTarget.EMPTY.withFormat(VolumeFormat.RAW))
                .build();
        VolumeDefinition withMode = definition.toBuilder().target(new VolumeDefinition.VolumeTarget(Optional.empty(),
                Optional.of(VolumeFormat.RAW), Optional.of(Permissions.ofMode(0640)), Optional.empty(), Optional.empty(),
                false, java.util.List.of())).build();
        pool.createVolume(withMode);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("disk"))));
    }

    @Test
    void badCapacitiesAndFormatsAreRefusedAndLeaveNothing() {
        var zero = fails(ErrorCode.INVALID_ARGUMENT, () -> pool.createVolume(Pools.raw("disk", 0)));
        assertTrue(zero.getMessage().contains("0 bytes"), zero.getMessage());
        fails(ErrorCode.OPERATION_UNSUPPORTED, () -> pool.createVolume(
                VolumeDefinition.builder("disk", MIB).format(new VolumeFormat("ploop")).build()));
        var huge = fails(ErrorCode.NO_SPACE, () -> pool.createVolume(Pools.raw("disk", Long.MAX_VALUE / 2)));
        assertTrue(huge.getMessage().contains(Long.toString(Long.MAX_VALUE / 2)), huge.getMessage());
        assertFalse(Files.exists(target.resolve("disk"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void badNamesNeverReachTheFilesystem() {
        for (String bad : new String[] {"../escape", "a/b", "..", "-rf", "nul\0byte"}) {
            fails(ErrorCode.INVALID_ARGUMENT, () -> pool.createVolume(Pools.raw(bad, MIB)));
        }
        assertFalse(Files.exists(temp.resolve("escape")));
    }

    @Test
    void anExistingNameOrAPlantedSymlinkIsRefusedWithoutTouchingItsTarget() throws Exception {
        pool.createVolume(Pools.raw("disk", MIB));
        fails(ErrorCode.VOLUME_EXISTS, () -> pool.createVolume(Pools.raw("disk", 2 * MIB)));
        assertEquals(MIB, stat("disk").size());

        Path outside = Files.write(temp.resolve("outside"), new byte[] {1, 2, 3});
        Files.createSymbolicLink(target.resolve("planted"), outside);
        fails(ErrorCode.VOLUME_EXISTS, () -> pool.createVolume(Pools.raw("planted", MIB)));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(outside));
    }

    @Test
    void deleteRemovesTheFileAndReportsOneThatVanished() {
        VolumeDefinition disk = pool.createVolume(Pools.raw("disk", MIB));
        pool.deleteVolume(disk);
        assertFalse(Files.exists(target.resolve("disk")));
        fails(ErrorCode.NO_SUCH_VOLUME, () -> pool.deleteVolume(disk));
    }

    @Test
    void aSymlinkInPlaceOfAVolumeIsNeverFollowedByWipeDownloadResizeOrDelete() throws Exception {
        VolumeDefinition disk = pool.createVolume(Pools.raw("disk", MIB));
        byte[] secret = "outside the pool".getBytes();
        Path outside = Files.write(temp.resolve("outside"), secret);
        // The file is swapped for a symlink after the refresh that reported it.
        Files.delete(target.resolve("disk"));
        Files.createSymbolicLink(target.resolve("disk"), outside);

        var wipe = fails(ErrorCode.INVALID_ARGUMENT, () -> pool.wipeVolume(disk, WipeAlgorithm.ZERO, null));
        assertTrue(wipe.getMessage().contains("symbolic link"), wipe.getMessage());
        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.wipeVolume(disk, WipeAlgorithm.RANDOM, null));
        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.resizeVolume(disk, 2 * MIB, false, false));
        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.openRead(disk, 0, -1));
        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.openWrite(disk, 0, -1));
        pool.deleteVolume(disk);

        assertFalse(Files.exists(target.resolve("disk"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(secret, Files.readAllBytes(outside));
    }

    @Test
    void growingIsSparseUnlessAllocationIsAskedAndShrinkingNeedsTheFlag() {
        VolumeDefinition disk = pool.createVolume(Pools.raw("disk", 8 * MIB));

        VolumeDefinition grown = pool.resizeVolume(disk, 16 * MIB, false, false);
        assertEquals(16 * MIB, grown.capacity());
        assertEquals(0, grown.allocation().getAsLong());

        VolumeDefinition allocated = pool.resizeVolume(grown, 32 * MIB, false, true);
        assertTrue(allocated.allocation().getAsLong() >= 16 * MIB, () -> "allocated " + allocated.allocation());

        var refused = fails(ErrorCode.INVALID_ARGUMENT, () -> pool.resizeVolume(allocated, 4 * MIB, false, false));
        assertTrue(refused.getMessage().contains("allow shrinking"), refused.getMessage());
        assertEquals(32 * MIB, stat("disk").size());
        fails(ErrorCode.INVALID_ARGUMENT, () -> pool.resizeVolume(allocated, 0, true, false));

        assertEquals(4 * MIB, pool.resizeVolume(allocated, 4 * MIB, true, false).capacity());
    }

    @Test
    void zeroWipePunchesHolesInsteadOfWritingZeros() throws Exception {
        pool.createVolume(Pools.raw("disk", 64 * MIB));
        writeRandom("disk", 0, 8 * MIB);
        writeRandom("disk", 40 * MIB, 8 * MIB);
        VolumeDefinition disk = describe("disk");
        long[] last = new long[2];

        pool.wipeVolume(disk, WipeAlgorithm.ZERO, (done, total) -> {
            last[0] = done;
            last[1] = total;
        });

        assertEquals(64 * MIB, stat("disk").size());
        assertEquals(0, stat("disk").allocatedBytes(), "a sparse volume stays sparse: its data was punched out");
        assertTrue(isAllZero(Files.readAllBytes(target.resolve("disk"))));
        assertEquals(64 * MIB, last[0]);
        assertEquals(64 * MIB, last[1]);
    }

    @Test
    void zeroWipeOfAPreallocatedVolumeKeepsItAllocated() throws Exception {
        pool.createVolume(VolumeDefinition.builder("disk", 16 * MIB).allocation(16 * MIB).build());
        writeRandom("disk", 0, 16 * MIB);

        pool.wipeVolume(describe("disk"), WipeAlgorithm.ZERO, null);

        assertTrue(stat("disk").allocatedBytes() >= 16 * MIB, "zeroed in place, still allocated");
        assertTrue(isAllZero(Files.readAllBytes(target.resolve("disk"))));
    }

    @Test
    void trimFreesEverythingAndRandomOverwritesEverything() throws Exception {
        pool.createVolume(Pools.raw("disk", 4 * MIB));
        writeRandom("disk", 0, 4 * MIB);

        pool.wipeVolume(describe("disk"), WipeAlgorithm.TRIM, null);
        assertEquals(0, stat("disk").allocatedBytes());

        pool.wipeVolume(describe("disk"), WipeAlgorithm.RANDOM, null);
        byte[] bytes = Files.readAllBytes(target.resolve("disk"));
        assertEquals(4 * MIB, bytes.length);
        long zeros = 0;
        for (byte b : bytes) {
            zeros += b == 0 ? 1 : 0;
        }
        assertTrue(zeros < bytes.length / 100, "random data, not zeros: " + zeros);
    }

    @Test
    void anInterruptedWipeStopsWithCancelled() {
        pool.createVolume(Pools.raw("disk", 64 * MIB));
        VolumeDefinition disk = describe("disk");
        try {
            var e = fails(ErrorCode.CANCELLED, () -> pool.wipeVolume(disk, WipeAlgorithm.RANDOM, (done, total) -> {
                if (done > 0) {
                    Thread.currentThread().interrupt();
                }
            }));
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void downloadReadsARangeAndHolesAsZeros() throws Exception {
        pool.createVolume(Pools.raw("disk", 8 * MIB));
        byte[] data = writeRandom("disk", 3 * MIB, MIB);
        VolumeDefinition disk = describe("disk");

        byte[] whole = readAll(pool.openRead(disk, 0, -1));
        assertEquals(8 * MIB, whole.length);
        assertTrue(isAllZero(Arrays.copyOfRange(whole, 0, (int) (3 * MIB))));
        assertArrayEquals(data, Arrays.copyOfRange(whole, (int) (3 * MIB), (int) (4 * MIB)));

        byte[] range = readAll(pool.openRead(disk, 3 * MIB - 10, 20));
        assertArrayEquals(Arrays.copyOfRange(whole, (int) (3 * MIB - 10), (int) (3 * MIB + 10)), range);
    }

    @Test
    void uploadLeavesZeroBlocksAsHolesAndPunchesOldDataThatZerosReplace() throws Exception {
        pool.createVolume(Pools.raw("disk", 8 * MIB));
        writeRandom("disk", 0, 8 * MIB);
        VolumeDefinition disk = describe("disk");
        byte[] upload = new byte[(int) (8 * MIB)];
        new Random(1).nextBytes(upload);
        Arrays.fill(upload, (int) MIB, (int) (7 * MIB), (byte) 0); // 6 MiB of zeros in the middle

        try (WritableByteChannel out = pool.openWrite(disk, 0, -1)) {
            ByteBuffer buffer = ByteBuffer.wrap(upload);
            while (buffer.hasRemaining()) {
                out.write(buffer.slice().limit(Math.min(buffer.remaining(), 100_000)));
                buffer.position(buffer.position() + Math.min(buffer.remaining(), 100_000));
            }
        }

        assertArrayEquals(upload, Files.readAllBytes(target.resolve("disk")));
        assertTrue(stat("disk").allocatedBytes() <= 3 * MIB, () -> "zeros became holes: " + stat("disk").allocatedBytes());
        var tooFar = fails(ErrorCode.INVALID_ARGUMENT, () -> {
            try (WritableByteChannel out = pool.openWrite(disk, 8 * MIB - 1, -1)) {
                out.write(ByteBuffer.allocate(2));
            }
        });
        assertTrue(tooFar.getMessage().contains("end of the upload"), tooFar.getMessage());
    }

    @Test
    void filesThatVanishBetweenListingAndStatAreSkipped() throws Exception {
        for (int i = 0; i < 200; i++) {
            Files.write(target.resolve("f" + i), new byte[600]);
        }
        Thread remover = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 200; i += 2) {
                try {
                    Files.deleteIfExists(target.resolve("f" + i));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        pool.refresh(); // must not fail whichever files go during it
        remover.join();
        assertEquals(100, pool.refresh().volumes().size());
    }

    // ---- helpers ----

    private VolumeDefinition describe(String name) {
        return pool.refresh().volumes().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    private byte[] writeRandom(String name, long offset, long length) throws Exception {
        byte[] data = new byte[(int) length];
        new Random(offset).nextBytes(data);
        try (var channel = java.nio.channels.FileChannel.open(target.resolve(name), java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(data), offset);
        }
        return data;
    }

    static byte[] readAll(ReadableByteChannel channel) throws Exception {
        try (channel; var out = new java.io.ByteArrayOutputStream()) {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024 + 7);
            while (channel.read(buffer) >= 0) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            return out.toByteArray();
        }
    }

    static boolean isAllZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
