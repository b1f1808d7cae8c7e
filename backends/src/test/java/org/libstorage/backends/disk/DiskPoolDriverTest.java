package org.libstorage.backends.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.Mount;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.testing.Requirements;

/** disk pools on real loop devices: labels, partitions as volumes, and the faults. */
class DiskPoolDriverTest {
    private static final long MIB = LoopFixture.MIB;
    private final DiskBackend backend = new DiskBackend();

    @TempDir
    Path dir;

    private PoolDriver pool(Path device, String format) {
        PoolDefinition definition = PoolDefinition.builder(PoolType.DISK, "disks")
                .source(PoolSource.builder().device(device).format(format).build()).build();
        return backend.open(definition, new BackendContext(dir.resolve("state"), null));
    }

    private static VolumeDefinition partition(String name, long capacity, String format) {
        return VolumeDefinition.builder(name, capacity).format(new VolumeFormat(format)).build();
    }

    @Test
    void buildsAGptLabelAndHandsOutPartitionsAsVolumes() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("disk.img", 64 * MIB);
            String disk = loop.path().getFileName().toString();
            PoolDriver pool = pool(loop.path(), "gpt");
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            assertTrue(pool.isActive());
            PoolContents empty = pool.refresh();
            assertEquals(64 * MIB, empty.info().capacity());
            assertEquals(0, empty.info().allocation());
            assertTrue(empty.info().available() > 62 * MIB, "gpt keeps ~1 MiB at each end: " + empty.info());
            assertTrue(empty.volumes().isEmpty());

            VolumeDefinition first = pool.createVolume(partition("data", 10 * MIB, "linux"));
            assertEquals(disk + "p1", first.name(), "the volume is named as the kernel names the partition");
            assertEquals(Optional.of(loop.partition(1)), first.path());
            assertTrue(Files.exists(loop.partition(1)), "the kernel knows the new partition");
            assertEquals(10 * MIB, first.capacity());
            assertEquals(Optional.of(VolumeType.BLOCK), first.type());
            assertEquals(Optional.of(new VolumeFormat("linux")), first.format());
            assertTrue(first.key().orElseThrow().matches("[0-9a-f-]{36}"), "gpt keys are partition UUIDs: " + first.key());
            assertEquals(List.of(new VolumeDefinition.SourceExtents(loop.path(),
                    List.of(new PoolSource.Extent(MIB, 11 * MIB)))), first.extents(), "aligned at 1 MiB");

            VolumeDefinition lvm = pool.createVolume(partition(disk + "p3", 8 * MIB, "linux-lvm"));
            assertEquals(disk + "p3", lvm.name(), "a partition-style name picks the number");
            VolumeDefinition swap = pool.createVolume(partition("swap", 4 * MIB, "linux-swap"));
            assertEquals(disk + "p2", swap.name());

            PoolContents contents = pool.refresh();
            assertEquals(List.of(disk + "p1", disk + "p2", disk + "p3"),
                    contents.volumes().stream().map(VolumeDefinition::name).toList());
            assertEquals(List.of("linux", "linux-swap", "linux-lvm"),
                    contents.volumes().stream().map(v -> v.format().orElseThrow().name()).toList());
            assertEquals(22 * MIB, contents.info().allocation());
            assertEquals(empty.info().available() - 22 * MIB, contents.info().available());

            assertEquals(Optional.of(lvm), pool.describeVolume(lvm), "one partition re-read from the table");
            pool.deleteVolume(swap);
            assertFalse(Files.exists(loop.partition(2)), "the kernel dropped the deleted partition");
            assertEquals(Optional.empty(), pool.describeVolume(swap));
            assertEquals(List.of(disk + "p1", disk + "p3"),
                    pool.refresh().volumes().stream().map(VolumeDefinition::name).toList());
        }
    }

    @Test
    void partitionsAreUploadedDownloadedAndWipedWithinTheirBounds() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("io.img", 32 * MIB);
            PoolDriver pool = pool(loop.path(), "gpt");
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            VolumeDefinition volume = pool.createVolume(partition("io", 4 * MIB, "linux"));
            byte[] data = new byte[(int) MIB];
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(data);
            try (var out = pool.openWrite(volume, MIB, -1)) {
                out.write(ByteBuffer.wrap(data));
            }
            ByteBuffer back = ByteBuffer.allocate((int) MIB + 1);
            try (var in = pool.openRead(volume, MIB, MIB)) {
                while (in.read(back) > 0) {
                    // read to the end of the range
                }
            }
            assertEquals((int) MIB, back.position(), "the read stops at the end of the range");
            assertArrayEquals(data, java.util.Arrays.copyOf(back.array(), (int) MIB));

            StorageException past = assertThrows(StorageException.class, () -> pool.openRead(volume, 3 * MIB, 2 * MIB));
            assertEquals(ErrorCode.INVALID_ARGUMENT, past.code());

            List<Long> progress = new java.util.ArrayList<>();
            pool.wipeVolume(volume, org.libstorage.WipeAlgorithm.ZERO, (done, total) -> progress.add(done));
            assertEquals(4 * MIB, progress.getLast());
            ByteBuffer zeros = ByteBuffer.allocate((int) MIB);
            try (var in = pool.openRead(volume, MIB, MIB)) {
                while (in.read(zeros) > 0) {
                    // read the whole range
                }
            }
            assertArrayEquals(new byte[(int) MIB], zeros.array(), "zeroed");
        }
    }

    @Test
    void aPartitionIsCreatedFromAnotherVolumesBytes() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("copy.img", 32 * MIB);
            PoolDriver pool = pool(loop.path(), "gpt");
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            byte[] data = new byte[(int) (3 * MIB)];
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(data);
            Path file = Files.write(dir.resolve("source.raw"), data);
            org.libstorage.spi.VolumeSource source = new org.libstorage.spi.VolumeSource() {
                @Override
                public VolumeDefinition definition() {
                    return VolumeDefinition.builder("source.raw", data.length).path(file).build();
                }

                @Override
                public PoolType poolType() {
                    return PoolType.DIR;
                }

                @Override
                public java.nio.channels.ReadableByteChannel open() {
                    try {
                        return FileChannel.open(file);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            };
            VolumeDefinition copy = pool.createVolumeFrom(partition("copy", 0, "linux"), source, null);
            assertEquals(3 * MIB, copy.capacity(), "as large as the source when asked for less");
            ByteBuffer back = ByteBuffer.allocate(data.length);
            try (var in = pool.openRead(copy, 0, -1)) {
                while (in.read(back) > 0) {
                    // whole partition
                }
            }
            assertArrayEquals(data, back.array());
        }
    }

    @Test
    void dosLabelsKeyPartitionsByPath() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("dos.img", 32 * MIB);
            PoolDriver pool = pool(loop.path(), "dos");
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            VolumeDefinition fat = pool.createVolume(partition("fat", 8 * MIB, "fat32"));
            assertEquals(Optional.of(loop.partition(1).toString()), fat.key());
            assertEquals(Optional.of(new VolumeFormat("fat32")), fat.format());
        }
    }

    @Test
    void aPartitionLargerThanTheFreeExtentIsNoSpaceAndWritesNothing() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("small.img", 16 * MIB);
            PoolDriver pool = pool(loop.path(), "gpt");
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            long available = pool.refresh().info().available();
            byte[] before = LoopFixture.fingerprint(loop.path());
            StorageException e = assertThrows(StorageException.class,
                    () -> pool.createVolume(partition("big", 32 * MIB, "linux")));
            assertEquals(ErrorCode.NO_SPACE, e.code());
            assertEquals("A partition of " + 32 * MIB + " bytes does not fit on " + loop.path()
                    + ": its largest free extent holds " + available + " bytes.", e.getMessage());
            assertArrayEquals(before, LoopFixture.fingerprint(loop.path()), "nothing was written");
        }
    }

    @Test
    void anExistingLabelIsRefusedWithoutOverwriteAndReplacedWithIt() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("relabel.img", 32 * MIB);
            PoolDriver gpt = pool(loop.path(), "gpt");
            gpt.build(BuildMode.NO_OVERWRITE);
            gpt.start();
            gpt.createVolume(partition("p", 4 * MIB, "linux"));
            byte[] before = LoopFixture.fingerprint(loop.path());

            PoolDriver dos = pool(loop.path(), "dos");
            StorageException e = assertThrows(StorageException.class, () -> dos.build(BuildMode.NO_OVERWRITE));
            assertEquals(ErrorCode.DEVICE_BUSY, e.code());
            assertEquals(loop.path() + " already holds a gpt partition table and a PMBR partition table;"
                    + " build with overwrite to erase it.", e.getMessage());
            assertArrayEquals(before, LoopFixture.fingerprint(loop.path()), "nothing was written");

            StorageException wrongType = assertThrows(StorageException.class, dos::start);
            assertEquals(ErrorCode.INVALID_DEFINITION, wrongType.code());
            assertEquals("The device " + loop.path() + " holds a gpt partition table, but pool 'disks' is defined as dos.",
                    wrongType.getMessage());

            dos.build(BuildMode.OVERWRITE);
            dos.start();
            assertTrue(dos.refresh().volumes().isEmpty());
            assertFalse(Files.exists(loop.partition(1)), "the old partition is gone from the kernel too");
        }
    }

    @Test
    void aMountedPartitionCannotBeDeletedNorItsDiskRebuilt() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("busy.img", 32 * MIB);
            PoolDriver pool = pool(loop.path(), "gpt");
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            VolumeDefinition volume = pool.createVolume(partition("p", 8 * MIB, "linux"));
            LoopFixture.run("mkfs.ext4", "-q", loop.partition(1).toString());
            Path target = Files.createDirectory(dir.resolve("mnt"));
            Mount.instance().mount(loop.partition(1), target, Optional.empty(), List.of());

            StorageException delete = assertThrows(StorageException.class, () -> pool.deleteVolume(volume));
            assertEquals(ErrorCode.DEVICE_BUSY, delete.code());
            assertTrue(delete.getMessage().contains("is mounted on " + target), delete.getMessage());
            assertEquals(ErrorCode.DEVICE_BUSY, assertThrows(StorageException.class,
                    () -> pool.wipeVolume(volume, org.libstorage.WipeAlgorithm.ZERO, null)).code(), "nor wiped");
            assertEquals(ErrorCode.DEVICE_BUSY, assertThrows(StorageException.class,
                    () -> pool.openWrite(volume, 0, -1)).code(), "nor written");

            byte[] before = LoopFixture.fingerprint(loop.path());
            StorageException build = assertThrows(StorageException.class, () -> pool.build(BuildMode.OVERWRITE));
            assertEquals(ErrorCode.DEVICE_BUSY, build.code());
            assertEquals("The device " + loop.path() + " is in use (" + loop.partition(1) + " is mounted on " + target
                    + "); release it before pool-build.", build.getMessage());
            assertArrayEquals(before, LoopFixture.fingerprint(loop.path()), "nothing was written");
        }
    }

    @Test
    void aCorruptPartitionTableIsAPreciseError() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("corrupt.img", 32 * MIB);
            PoolDriver pool = pool(loop.path(), "gpt");
            pool.build(BuildMode.NO_OVERWRITE);
            // Smash both GPT headers but keep the protective MBR: the disk says "gpt" and has none.
            try (FileChannel ch = FileChannel.open(loop.path(), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[512]), 512);
                ch.write(ByteBuffer.wrap(new byte[512]), 32 * MIB - 512);
            }
            byte[] before = LoopFixture.fingerprint(loop.path());
            StorageException e = assertThrows(StorageException.class, pool::start);
            assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
            assertEquals("The GPT on " + loop.path() + " is corrupt: both GPT headers are unreadable and only the"
                    + " protective MBR is left; rebuild pool 'disks' with overwrite (its partitions are lost) or repair"
                    + " the table.", e.getMessage());
            StorageException create = assertThrows(StorageException.class,
                    () -> pool.createVolume(partition("p", MIB, "linux")));
            assertEquals(ErrorCode.INVALID_DEFINITION, create.code());
            assertArrayEquals(before, LoopFixture.fingerprint(loop.path()), "nothing was written");
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsWritten() throws Exception {
        StorageException missing = assertThrows(StorageException.class,
                () -> pool(dir.resolve("sdz"), "gpt").build(BuildMode.OVERWRITE));
        assertEquals(ErrorCode.NO_SUCH_DEVICE, missing.code());
        Path file = Files.write(dir.resolve("file.img"), new byte[1 << 20]);
        StorageException notBlock = assertThrows(StorageException.class,
                () -> pool(file, "gpt").build(BuildMode.OVERWRITE));
        assertEquals(ErrorCode.INVALID_ARGUMENT, notBlock.code());
        assertArrayEquals(new byte[1 << 20], Files.readAllBytes(file));
        StorageException format = assertThrows(StorageException.class, () -> pool(file, "zfs"));
        assertEquals(ErrorCode.INVALID_DEFINITION, format.code());

        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("fmt.img", 16 * MIB);
            PoolDriver pool = pool(loop.path(), "gpt");
            pool.build(BuildMode.NO_OVERWRITE);
            StorageException type = assertThrows(StorageException.class,
                    () -> pool.createVolume(partition("p", MIB, "qcow2")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, type.code());
            assertEquals("A disk pool cannot create a partition of format 'qcow2'; use one of "
                    + "[fat16, fat32, linux, linux-lvm, linux-raid, linux-swap].", type.getMessage());
        }
    }

    @Test
    void findsDevicesWithPartitionTables() throws Exception {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("found.img", 16 * MIB);
            pool(loop.path(), "gpt").build(BuildMode.NO_OVERWRITE);
            List<PoolSource> sources = backend.findPoolSources(Optional.empty());
            assertTrue(sources.stream().anyMatch(s -> s.devices().getFirst().path().equals(loop.path())
                    && s.format().equals(Optional.of("gpt"))), sources.toString());
        }
    }
}
