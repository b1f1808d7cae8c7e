package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.testing.Requirements;

/** libfdisk on image files (unit-like) and on a real loop device (root; required under CI=true). */
class FdiskTest {
    private static final long MIB = 1L << 20;
    private static final String LINUX_FILESYSTEM = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    private final Fdisk fdisk = Fdisk.instance();
    private final Libc libc = Libc.instance();

    @TempDir
    Path dir;

    private Path image(String name, long size) {
        Path image = dir.resolve(name);
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, size);
        }
        return image;
    }

    @Test
    void anEmptyImageHasNoLabel() {
        assertTrue(fdisk.isAvailable(), fdisk.unavailableReason().orElse(""));
        assertEquals(Optional.empty(), fdisk.readLabel(image("empty.img", 8 * MIB)));
    }

    @Test
    void createsAGptLabelAddsAlignedPartitionsAndDeletesThem() {
        Path image = image("gpt.img", 64 * MIB);
        Fdisk.Label label = fdisk.createLabel(image, "gpt");
        assertEquals("gpt", label.type());
        assertEquals(512, label.sectorSize());
        assertEquals(1, label.freeSpaces().size());
        assertTrue(label.partitions().isEmpty());

        Fdisk.Partition first = fdisk.addPartition(image, 10 * MIB, LINUX_FILESYSTEM, 0);
        assertEquals(1, first.number());
        assertEquals(MIB, first.startBytes(), "the default alignment puts the first partition at 1 MiB");
        assertEquals(10 * MIB, first.sizeBytes());
        assertEquals(Optional.of(LINUX_FILESYSTEM), first.typeString());
        assertEquals(Optional.of("Linux filesystem"), first.typeName());
        assertTrue(first.uuid().isPresent(), "gpt partitions have a UUID");

        Fdisk.Partition second = fdisk.addPartition(image, 5 * MIB, "E6D6D379-F507-44C2-A23C-238F2A3DF928", 0);
        assertEquals(2, second.number());
        assertEquals(first.endBytes(), second.startBytes());
        assertEquals(Optional.of("Linux LVM"), second.typeName());

        // Blkid reads what libfdisk wrote.
        Blkid.Probe probe = Blkid.instance().probe(image);
        assertEquals(Optional.of("gpt"), probe.partitionTableType());
        assertEquals(2, probe.partitions().size());
        assertEquals(first.uuid().map(String::toLowerCase), probe.partitions().getFirst().uuid());

        fdisk.deletePartition(image, 1);
        Fdisk.Label after = fdisk.readLabel(image).orElseThrow();
        assertEquals(1, after.partitions().size());
        assertEquals(2, after.partitions().getFirst().number());
    }

    @Test
    void dosLabelsUseHexTypeCodes() {
        Path image = image("dos.img", 32 * MIB);
        fdisk.createLabel(image, "dos");
        Fdisk.Partition swap = fdisk.addPartition(image, 4 * MIB, "82", 0);
        assertEquals(0x82, swap.typeCode());
        assertEquals(Optional.of("Linux swap / Solaris"), swap.typeName());
        assertEquals("dos", fdisk.readLabel(image).orElseThrow().type());
    }

    @Test
    void aPartitionLargerThanTheDiskFailsWithTheFunctionAndErrno() {
        Path image = image("small.img", 8 * MIB);
        fdisk.createLabel(image, "gpt");
        NativeCallException e = assertThrows(NativeCallException.class,
                () -> fdisk.addPartition(image, 64 * MIB, LINUX_FILESYSTEM, 0));
        assertEquals("fdisk_add_partition", e.function());
        assertEquals("ENOSPC", e.errnoName());
        assertTrue(fdisk.readLabel(image).orElseThrow().partitions().isEmpty(), "nothing was added");
    }

    @Test
    void aMissingDeviceNamesTheFunctionAndErrno() {
        NativeCallException e = assertThrows(NativeCallException.class,
                () -> fdisk.readLabel(dir.resolve("absent")));
        assertEquals("fdisk_assign_device", e.function());
        assertEquals("ENOENT", e.errnoName());
    }

    @Test
    void onALoopDeviceTheKernelLearnsOfNewAndDeletedPartitions() {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Path image = image("loop.img", 32 * MIB);
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            fdisk.createLabel(loop.path(), "gpt");
            Fdisk.Partition p = fdisk.addPartition(loop.path(), 8 * MIB, LINUX_FILESYSTEM, 0);
            assertTrue(libc.statx(loop.partition(p.number()), true).isBlockDevice(), "the partition node appeared");
            try (Fd part = libc.open(loop.partition(p.number()), Libc.O_RDONLY, 0)) {
                assertEquals(8 * MIB, libc.blockDeviceSize(part));
            }
            fdisk.deletePartition(loop.path(), p.number());
            assertFalse(Files.exists(loop.partition(p.number())), "the partition node vanished");
        }
    }
}
