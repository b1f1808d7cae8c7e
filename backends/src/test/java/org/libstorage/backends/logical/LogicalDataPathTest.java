package org.libstorage.backends.logical;

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
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
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
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.dir.DirBackend;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.RequiresKernel;

/**
 * The logical backend's data path where device-mapper activates LVs: upload, download, wipe
 * (zero, TRIM, random) and copies between an LV and a dir pool, all through the shared blockio
 * engines, checked bit for bit on the LV's device and on the files. On this host these run in
 * the QEMU lab ({@code bin/lab run LogicalDataPath}).
 */
@RequiresKernel(KernelFeature.DEVICE_MAPPER)
class LogicalDataPathTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    private static String vgName() {
        return "ls_io_" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A started pool on the sandbox's devices, whose LVM activates LVs. */
    private static LogicalPoolDriver logical(LvmSandbox sandbox, String vg) {
        PoolSource.Builder source = PoolSource.builder().name(vg);
        sandbox.devices().forEach(source::device);
        PoolDefinition definition = PoolDefinition.builder(PoolType.LOGICAL, "pool-" + vg).source(source.build()).build();
        LogicalPoolDriver pool = (LogicalPoolDriver) new LogicalBackend(() -> sandbox.lvm(LvmSandbox.Engine.IN_PROCESS))
                .open(definition, null);
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        return pool;
    }

    /** Runs {@code test} on a started pool, deactivating its LVs afterwards so the sandbox can remove the group. */
    private void withPool(ThrowingConsumer test) throws IOException {
        try (LvmSandbox sandbox = LvmSandbox.withActivation(dir, 1)) {
            LogicalPoolDriver pool = logical(sandbox, vgName());
            try {
                test.accept(pool);
            } finally {
                pool.stop();
            }
        }
    }

    @FunctionalInterface
    private interface ThrowingConsumer {
        void accept(LogicalPoolDriver pool) throws IOException;
    }

    private PoolDriver dirPool() throws IOException {
        Path target = Files.createDirectories(dir.resolve("images"));
        PoolDefinition definition = PoolDefinition.builder(PoolType.DIR, "images").targetPath(target).build();
        PoolDriver pool = new DirBackend().open(definition, new BackendContext(dir.resolve("state"), null));
        pool.start();
        return pool;
    }

    private static VolumeSource source(PoolDriver pool, PoolType type, VolumeDefinition volume) {
        return new VolumeSource() {
            @Override
            public VolumeDefinition definition() {
                return volume;
            }

            @Override
            public PoolType poolType() {
                return type;
            }

            @Override
            public ReadableByteChannel open() {
                return pool.openRead(volume, 0, -1);
            }
        };
    }

    /** {@code length} bytes: random data in the first and last MiB and a zero run between. */
    private static byte[] sample(long length, int seed) {
        byte[] bytes = new byte[(int) length];
        SplittableRandom random = new SplittableRandom(seed);
        byte[] edge = new byte[(int) MIB];
        random.nextBytes(edge);
        System.arraycopy(edge, 0, bytes, 0, edge.length);
        random.nextBytes(edge);
        System.arraycopy(edge, 0, bytes, bytes.length - edge.length, edge.length);
        return bytes;
    }

    private static byte[] readDevice(Path device) throws IOException {
        try (FileChannel in = FileChannel.open(device)) {
            ByteBuffer all = ByteBuffer.allocate((int) in.size());
            while (all.hasRemaining() && in.read(all, all.position()) > 0) {
                // read on
            }
            return all.array();
        }
    }

    private static void fillDevice(Path device, int seed) throws IOException {
        byte[] noise = new byte[(int) MIB];
        SplittableRandom random = new SplittableRandom(seed);
        try (FileChannel out = FileChannel.open(device, StandardOpenOption.WRITE)) {
            for (long at = 0; at < out.size(); at += noise.length) {
                random.nextBytes(noise);
                out.write(ByteBuffer.wrap(noise), at);
            }
            out.force(true);
        }
    }

    private static byte[] download(PoolDriver pool, VolumeDefinition volume, long offset, long length) throws IOException {
        try (ReadableByteChannel in = pool.openRead(volume, offset, length)) {
            ByteBuffer all = ByteBuffer.allocate((int) (length < 0 ? volume.capacity() - offset : length));
            while (all.hasRemaining() && in.read(all) >= 0) {
                // read on
            }
            return Arrays.copyOf(all.array(), all.position());
        }
    }

    @Test
    void uploadAndDownloadAnLvBitForBit() throws IOException {
        withPool(pool -> {
            VolumeDefinition lv = pool.createVolume(VolumeDefinition.builder("data", 8 * MIB).build());
            Path node = lv.path().orElseThrow();
            fillDevice(node, 1);
            byte[] before = readDevice(node);

            byte[] upload = sample(4 * MIB, 2);
            try (WritableByteChannel out = pool.openWrite(lv, 2 * MIB, upload.length)) {
                ByteBuffer src = ByteBuffer.wrap(upload);
                while (src.hasRemaining()) {
                    out.write(src);
                }
            }
            byte[] after = readDevice(node);
            byte[] expected = before.clone();
            System.arraycopy(upload, 0, expected, (int) (2 * MIB), upload.length);
            assertArrayEquals(expected, after, "the upload's bytes, zero run included, and nothing outside its range");

            assertArrayEquals(after, download(pool, lv, 0, -1), "a download reads the LV bit for bit");
            assertArrayEquals(upload, download(pool, lv, 2 * MIB, upload.length));
            pool.deleteVolume(lv);
        });
    }

    @Test
    void wipeZeroTrimAndRandom() throws IOException {
        withPool(pool -> {
            VolumeDefinition lv = pool.createVolume(VolumeDefinition.builder("wiped", 8 * MIB).build());
            VolumeDefinition neighbour = pool.createVolume(VolumeDefinition.builder("neighbour", 8 * MIB).build());
            Path node = lv.path().orElseThrow();
            fillDevice(neighbour.path().orElseThrow(), 9);
            byte[] neighbourBefore = readDevice(neighbour.path().orElseThrow());

            fillDevice(node, 3);
            pool.wipeVolume(lv, WipeAlgorithm.ZERO, ProgressListener.NONE);
            assertArrayEquals(new byte[(int) (8 * MIB)], readDevice(node), "ZERO leaves only zeros");

            fillDevice(node, 4);
            byte[] old = readDevice(node);
            pool.wipeVolume(lv, WipeAlgorithm.RANDOM, ProgressListener.NONE);
            byte[] random = readDevice(node);
            assertFalse(Arrays.equals(old, random), "RANDOM replaced the old bytes");
            assertFalse(Arrays.equals(new byte[(int) (8 * MIB)], random), "with random ones, not zeros");

            // A linear LV on a loop device passes discards down to the loop device, which punches its file.
            try {
                pool.wipeVolume(lv, WipeAlgorithm.TRIM, ProgressListener.NONE);
                assertArrayEquals(new byte[(int) (8 * MIB)], readDevice(node), "TRIM on a loop-backed LV reads back zeros");
            } catch (StorageException e) {
                assertEquals(ErrorCode.OPERATION_UNSUPPORTED, e.code(), e::getMessage);
            }
            assertArrayEquals(neighbourBefore, readDevice(neighbour.path().orElseThrow()), "the neighbouring LV is untouched");
        });
    }

    @Test
    void copiesBetweenAnLvAndADirPoolKeepEveryByte() throws IOException {
        withPool(pool -> {
            PoolDriver images = dirPool();

            // dir -> LV: a sparse file whose hole must overwrite the noise an LV may hold.
            VolumeDefinition file = images.createVolume(VolumeDefinition.builder("disk.img", 8 * MIB).build());
            byte[] data = sample(8 * MIB, 5);
            try (WritableByteChannel out = images.openWrite(file, 0, -1)) {
                out.write(ByteBuffer.wrap(data));
            }
            file = images.refresh().volumes().getFirst();
            VolumeDefinition lv = pool.createVolumeFrom(VolumeDefinition.builder("copy", 0).build(),
                    source(images, PoolType.DIR, file), ProgressListener.NONE);
            assertTrue(lv.capacity() >= 8 * MIB);
            assertArrayEquals(data, Arrays.copyOf(readDevice(lv.path().orElseThrow()), data.length));

            // LV -> dir: the file reads back bit for bit, its zero run a hole.
            VolumeDefinition back = images.createVolumeFrom(VolumeDefinition.builder("back.img", 0).build(),
                    source(pool, PoolType.LOGICAL, lv), ProgressListener.NONE);
            byte[] copied = Files.readAllBytes(back.path().orElseThrow());
            assertArrayEquals(readDevice(lv.path().orElseThrow()), copied);
            assertTrue(back.allocation().orElseThrow() < 4 * MIB, "the zero run stayed a hole: " + back.allocation());

            // A copy into an LV interrupted half way leaves no LV behind.
            VolumeDefinition firstFile = images.refresh().volumes().getFirst();
            StorageException e = assertThrows(StorageException.class, () -> pool.createVolumeFrom(
                    VolumeDefinition.builder("cancelled", 0).build(), source(images, PoolType.DIR, firstFile),
                    (done, total) -> {
                        if (done > 0) {
                            Thread.currentThread().interrupt();
                        }
                    }));
            assertTrue(Thread.interrupted());
            assertEquals(ErrorCode.CANCELLED, e.code(), e::getMessage);
            assertEquals(List.of("copy"), pool.refresh().volumes().stream().map(VolumeDefinition::name).toList(),
                    "the cancelled copy's LV was removed");
        });
    }
}
