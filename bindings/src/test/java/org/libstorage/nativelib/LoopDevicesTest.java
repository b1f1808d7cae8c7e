package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.testing.Requirements;

/** Integration: attaches real loop devices (root only; required under CI=true). */
class LoopDevicesTest {
    private static final long MIB = 1L << 20;
    private final Libc libc = Libc.instance();

    @TempDir
    Path dir;

    @Test
    void attachWithPartitionScanShowsTheDeviceAndItsPartitionsThenDetaches() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Requirements.require(Requirements.hasCommand("sfdisk"), "sfdisk (Debian fdisk) to label the test image");
        Path image = dir.resolve("disk.img");
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, 32 * MIB);
        }
        Integration.run("sh", "-c", "printf 'label: gpt\\nstart=2048, size=16384, name=first\\n' | sfdisk -q " + image);

        Path device;
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            device = loop.path();
            assertTrue(Files.exists(device), device + " exists");
            try (Fd fd = libc.open(device, Libc.O_RDONLY, 0)) {
                assertEquals(32 * MIB, libc.blockDeviceSize(fd));
                assertEquals(512, libc.logicalSectorSize(fd));
            }
            assertTrue(libc.statx(device, true).isBlockDevice());
            // Kernels without the GPT parser (as on the CI machine) create no nodes on their own.
            assertEquals(java.util.List.of(loop.partition(1)), LoopDevices.addPartitionNodes(loop));
            assertTrue(libc.statx(loop.partition(1), true).isBlockDevice());
            try (Fd part = libc.open(loop.partition(1), Libc.O_RDONLY, 0)) {
                assertEquals(16384 * 512L, libc.blockDeviceSize(part));
            }
            assertEquals(java.util.List.of(loop.partition(1)), LoopDevices.addPartitionNodes(loop),
                    "adding again is a no-op");
            Blkid.Probe partition = Blkid.instance().probe(loop.partition(1));
            assertEquals(java.util.Optional.of("first"), partition.value("PART_ENTRY_NAME"));
            assertEquals(java.util.Optional.of("1"), partition.value("PART_ENTRY_NUMBER"));
            assertEquals(java.util.Optional.of("2048"), partition.value("PART_ENTRY_OFFSET"));

            LoopInfo info = LoopDevices.info(device).orElseThrow();
            assertEquals(loop.number(), info.number());
            assertEquals(image.toAbsolutePath(), info.backingFile());
            assertTrue(info.partitionScan());
            assertFalse(info.readOnly());
            assertEquals(libc.statx(image, true).inode(), info.backingInode());
        }
        assertTrue(LoopDevices.info(device).isEmpty(), device + " is free again after close");
        assertFalse(Files.exists(Path.of(device + "p1")), "no partition node is left behind");
    }

    @Test
    void blkpgAddsResizesAndDeletesPartitionNodes() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Path image = dir.resolve("blkpg.img");
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, 16 * MIB);
        }
        try (LoopDevice loop = LoopDevices.attach(image, false);
             Fd disk = libc.open(loop.path(), Libc.O_RDONLY, 0)) {
            libc.addPartition(disk, 3, MIB, 4 * MIB);
            try (Fd part = libc.open(loop.partition(3), Libc.O_RDONLY, 0)) {
                assertEquals(4 * MIB, libc.blockDeviceSize(part));
            }
            assertEquals("EBUSY", org.junit.jupiter.api.Assertions.assertThrows(NativeCallException.class,
                    () -> libc.addPartition(disk, 4, 2 * MIB, MIB)).errnoName(), "overlapping ranges are refused");
            libc.resizePartition(disk, 3, MIB, 6 * MIB);
            try (Fd part = libc.open(loop.partition(3), Libc.O_RDONLY, 0)) {
                assertEquals(6 * MIB, libc.blockDeviceSize(part));
            }
            libc.deletePartition(disk, 3);
            assertFalse(Files.exists(loop.partition(3)));
        }
    }

    @Test
    void zeroOutAndDiscardReachTheBackingFile() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Path image = dir.resolve("data.img");
        byte[] ones = new byte[(int) (4 * MIB)];
        java.util.Arrays.fill(ones, (byte) 0xff);
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.pwrite(fd, java.nio.ByteBuffer.wrap(ones), 0);
            libc.fsync(fd);
        }
        try (LoopDevice loop = LoopDevices.attach(image, false);
             Fd device = libc.open(loop.path(), Libc.O_RDWR, 0)) {
            libc.blockZeroOut(device, 0, MIB);
            libc.blockDiscard(device, 2 * MIB, 2 * MIB);
            libc.fsync(device);
        }
        try (Fd fd = libc.open(image, Libc.O_RDONLY, 0)) {
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate((int) MIB);
            libc.pread(fd, head, 0);
            assertTrue(java.util.Arrays.equals(new byte[(int) MIB], head.array()), "BLKZEROOUT wrote zeros");
            java.nio.ByteBuffer kept = java.nio.ByteBuffer.allocate(1);
            libc.pread(fd, kept, MIB);
            assertEquals((byte) 0xff, kept.get(0), "outside the ranges the data stays");
            assertEquals(java.util.OptionalLong.of(2 * MIB), libc.seekHole(fd, MIB),
                    "BLKDISCARD on a loop device punches a hole in the file");
        }
    }

    @Test
    void aByteRangeAttachReachesOnePartition() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Path image = dir.resolve("range.img");
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, 8 * MIB);
        }
        try (LoopDevice loop = LoopDevices.attach(image, MIB, 2 * MIB, false)) {
            LoopInfo info = LoopDevices.info(loop.path()).orElseThrow();
            assertEquals(MIB, info.offset());
            assertEquals(2 * MIB, info.sizeLimit());
            try (Fd fd = libc.open(loop.path(), Libc.O_RDWR, 0)) {
                assertEquals(2 * MIB, libc.blockDeviceSize(fd));
                libc.pwrite(fd, java.nio.ByteBuffer.wrap("inside".getBytes()), 0);
                libc.fsync(fd);
            }
        }
        try (Fd fd = libc.open(image, Libc.O_RDONLY, 0)) {
            java.nio.ByteBuffer back = java.nio.ByteBuffer.allocate(6);
            libc.pread(fd, back, MIB);
            assertEquals("inside", new String(back.array()), "the write landed at the range's offset");
        }
    }

    @Test
    void aReadOnlyAttachGivesAReadOnlyDevice() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Path image = dir.resolve("ro.img");
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, 4 * MIB);
        }
        try (LoopDevice loop = LoopDevices.attach(image, true)) {
            assertTrue(LoopDevices.info(loop.path()).orElseThrow().readOnly());
            try (Fd fd = libc.open(loop.path(), Libc.O_RDONLY, 0)) {
                assertTrue(libc.blockDeviceReadOnly(fd));
            }
        }
    }
}
