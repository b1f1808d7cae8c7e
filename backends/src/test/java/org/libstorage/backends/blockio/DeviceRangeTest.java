package org.libstorage.backends.blockio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.disk.DiskBackend;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.testing.Requirements;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolDriver;

/**
 * Channels over block device ranges on a real loop device with a gpt table of three
 * partitions: wipes and copies of the middle partition, and of unaligned windows of the whole
 * disk, change every byte inside and not one byte outside (checked bit for bit).
 */
class DeviceRangeTest {
    private static final long MIB = 1L << 20;
    private static final IoContext CONTEXT = new IoContext("volume 'p2' in pool 'disks'", "vol-wipe");

    @TempDir
    Path dir;

    /** The loop device, its three 8 MiB partitions (as volumes), and where the middle one starts. */
    private record Disk(LoopDevice loop, VolumeDefinition middle, long middleStart) {
        long middleEnd() {
            return middleStart + middle.capacity();
        }
    }

    private Disk disk(LoopFixture loops) throws IOException {
        LoopDevice loop = loops.attach("disk.img", 32 * MIB);
        PoolDefinition definition = PoolDefinition.builder(PoolType.DISK, "disks")
                .source(PoolSource.builder().device(loop.path()).format("gpt").build()).build();
        PoolDriver pool = new DiskBackend().open(definition, new BackendContext(dir.resolve("state"), null));
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        VolumeDefinition middle = null;
        for (String name : new String[] {"one", "two", "three"}) {
            VolumeDefinition made = pool.createVolume(VolumeDefinition.builder(name, 8 * MIB)
                    .format(new VolumeFormat("linux")).build());
            if (name.equals("two")) {
                middle = made;
            }
        }
        String kernelName = middle.path().orElseThrow().getFileName().toString();
        long start = Long.parseLong(Files.readString(Path.of("/sys/class/block", kernelName, "start")).strip()) * 512;
        fillWithNoise(loop.path());
        return new Disk(loop, middle, start);
    }

    /** Random bytes over the whole device, through the file API (not the code under test). */
    private static void fillWithNoise(Path device) throws IOException {
        SplittableRandom random = new SplittableRandom(1);
        byte[] chunk = new byte[(int) MIB];
        try (FileChannel out = FileChannel.open(device, StandardOpenOption.WRITE)) {
            for (long at = 0; at < out.size(); at += chunk.length) {
                random.nextBytes(chunk);
                out.write(ByteBuffer.wrap(chunk), at);
            }
            out.force(true);
        }
    }

    private static byte[] read(Path device) throws IOException {
        try (FileChannel in = FileChannel.open(device)) {
            ByteBuffer all = ByteBuffer.allocate((int) in.size());
            while (all.hasRemaining() && in.read(all, all.position()) > 0) {
                // read on
            }
            return all.array();
        }
    }

    /** Every byte outside {@code [start, end)} is as before. */
    private static void assertOutsideUnchanged(byte[] before, byte[] after, long start, long end) {
        assertEquals(before.length, after.length);
        assertArrayEquals(Arrays.copyOfRange(before, 0, (int) start), Arrays.copyOfRange(after, 0, (int) start),
                "nothing before the range changed");
        assertArrayEquals(Arrays.copyOfRange(before, (int) end, before.length),
                Arrays.copyOfRange(after, (int) end, after.length), "nothing after the range changed");
    }

    private static boolean allZero(byte[] bytes, long start, long end) {
        for (int i = (int) start; i < end; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Test
    void wipingAPartitionChangesItAndNothingAroundIt() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            Disk disk = disk(loops);
            for (WipeAlgorithm algorithm : WipeAlgorithm.values()) {
                byte[] before = read(disk.loop().path());
                BlockVolumes.wipe(disk.middle(), algorithm, ProgressListener.NONE, CONTEXT);
                byte[] after = read(disk.loop().path());
                assertOutsideUnchanged(before, after, disk.middleStart(), disk.middleEnd());
                byte[] inside = Arrays.copyOfRange(after, (int) disk.middleStart(), (int) disk.middleEnd());
                switch (algorithm) {
                    // A loop device discards by punching its backing file, so TRIM reads back zeros here too.
                    case ZERO, TRIM -> assertTrue(allZero(after, disk.middleStart(), disk.middleEnd()), algorithm + " zeroed it");
                    case RANDOM -> {
                        assertTrue(!allZero(after, disk.middleStart(), disk.middleStart() + 4096), "random data written");
                        assertTrue(!Arrays.equals(inside, Arrays.copyOfRange(before, (int) disk.middleStart(),
                                (int) disk.middleEnd())), "the old bytes are gone");
                    }
                }
                fillWithNoise(disk.loop().path());
            }
        }
    }

    @Test
    void anUnalignedWindowIsZeroedToTheByte() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            Disk disk = disk(loops);
            byte[] before = read(disk.loop().path());
            // Starts and ends inside sectors: the edges are written, the middle zeroed by BLKZEROOUT.
            long start = 3 * MIB + 1000;
            long length = 5 * MIB + 77;
            try (DeviceRangeChannel window = DeviceRangeChannel.open(disk.loop().path(), start, length, true, CONTEXT)) {
                assertEquals(length, window.size());
                WipeEngine.wipe(window, WipeAlgorithm.ZERO, ProgressListener.NONE, CONTEXT);
            }
            byte[] after = read(disk.loop().path());
            assertOutsideUnchanged(before, after, start, start + length);
            assertTrue(allZero(after, start, start + length));
        }
    }

    @Test
    void aSparseFileCopiedOntoAPartitionReadsBackBitForBit() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            Disk disk = disk(loops);
            // 8 MiB with data at both ends and a hole between: the hole must overwrite the noise with zeros.
            Path source = dir.resolve("source");
            byte[] data = new byte[(int) (8 * MIB)];
            SplittableRandom random = new SplittableRandom(3);
            byte[] head = new byte[(int) MIB + 123];
            random.nextBytes(head);
            System.arraycopy(head, 0, data, 0, head.length);
            byte[] tail = new byte[4096];
            random.nextBytes(tail);
            System.arraycopy(tail, 0, data, data.length - tail.length, tail.length);
            try (FileChannel out = FileChannel.open(source, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap(head), 0);
                out.write(ByteBuffer.wrap(tail), data.length - tail.length);
            }
            byte[] before = read(disk.loop().path());
            try (FdChannel in = FdChannel.openForReading(source, -1, CONTEXT);
                 DeviceRangeChannel partition = DeviceRangeChannel.open(disk.middle().path().orElseThrow(), 0, -1, true, CONTEXT)) {
                CopyEngine.copy(in, partition, ProgressListener.NONE, CONTEXT);
            }
            byte[] after = read(disk.loop().path());
            assertOutsideUnchanged(before, after, disk.middleStart(), disk.middleEnd());
            assertArrayEquals(data, Arrays.copyOfRange(after, (int) disk.middleStart(), (int) disk.middleEnd()));

            // And back: the partition into a new sparse file, bit for bit, its zeros left as holes.
            Path back = dir.resolve("back");
            try (DeviceRangeChannel partition = DeviceRangeChannel.open(disk.middle().path().orElseThrow(), 0, -1, false, CONTEXT);
                 FileRangeChannel out = FileRangeChannel.createForWriting(back, partition.size(),
                         FileRangeChannel.Zeroing.ALREADY_ZERO, CONTEXT)) {
                CopyEngine.copy(partition, out, ProgressListener.NONE, CONTEXT);
            }
            assertArrayEquals(data, Files.readAllBytes(back));
            assertTrue(Libc.instance().statx(back, false).allocatedBytes() < 2 * MIB, "the hole stayed a hole");
        }
    }

    @Test
    void aWriteNeverPassesTheEndOfItsRange() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            Disk disk = disk(loops);
            byte[] before = read(disk.loop().path());
            try (DeviceRangeChannel partition = DeviceRangeChannel.open(disk.middle().path().orElseThrow(),
                    8 * MIB - 10, -1, true, CONTEXT)) {
                StorageException e = assertThrows(StorageException.class, () -> partition.write(ByteBuffer.allocate(11)));
                assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
                assertEquals(10, partition.write(ByteBuffer.allocate(10)));
            }
            byte[] after = read(disk.loop().path());
            assertOutsideUnchanged(before, after, disk.middleEnd() - 10, disk.middleEnd());
        }
    }

    @Test
    void aMountedDeviceIsNotOpenedForWriting() throws Exception {
        Requirements.requireCommand("mkfs.ext4", "e2fsprogs");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("fs.img", 16 * MIB);
            LoopFixture.run("mkfs.ext4", "-q", loop.path().toString());
            Path point = Files.createDirectories(dir.resolve("mnt"));
            org.libstorage.nativelib.Mount.instance().mount(loop.path(), point, Optional.of("ext4"), java.util.List.of());
            StorageException e = assertThrows(StorageException.class,
                    () -> DeviceRangeChannel.open(loop.path(), 0, -1, true, CONTEXT));
            assertEquals(ErrorCode.DEVICE_BUSY, e.code());
            assertTrue(e.getMessage().contains("mounted on " + point), e.getMessage());
            // Reading a mounted device is fine.
            try (DeviceRangeChannel reading = DeviceRangeChannel.open(loop.path(), 0, -1, false, CONTEXT)) {
                assertEquals(16 * MIB, reading.size());
            }
        }
    }

    @Test
    void aRegularFileIsNotADevice() throws Exception {
        Path file = Files.write(dir.resolve("plain"), new byte[4096]);
        StorageException e = assertThrows(StorageException.class,
                () -> DeviceRangeChannel.open(file, 0, -1, false, CONTEXT));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        try (Fd unused = Libc.instance().open(file, Libc.O_RDONLY, 0)) {
            assertTrue(unused.isOpen());
        }
    }
}
