package org.libstorage.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.libstorage.ProgressListener;
import org.libstorage.backends.blockio.CopyEngine;
import org.libstorage.backends.blockio.DeviceRangeChannel;
import org.libstorage.backends.blockio.FdChannel;
import org.libstorage.backends.blockio.FileRangeChannel;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The shared copy engine ({@code blockio.CopyEngine}) against the loops it replaced
 * ({@link LegacyCopy}), on a 1 GiB sparse raw image holding 64 MiB of random data in 16 extents
 * and a 32 MiB run of written zeros:
 * <ul>
 * <li>{@code file-to-file}: a clone in a dir pool without reflinks (copy_file_range over the data
 * extents, both sides);</li>
 * <li>{@code device-to-file}: the image on a loop device copied into a new file (a partition or
 * LV cloned into a dir pool): old 1 MiB channel reads with 64 KiB zero blocks compared a long
 * at a time, new 1 MiB reads with 4 KiB zero blocks compared by {@code MemorySegment.mismatch};</li>
 * <li>{@code file-to-device}: the image copied onto a 1 GiB loop device (a dir volume cloned into
 * a disk or logical pool): old every byte written, new only the data, holes and zero runs
 * by {@code BLKZEROOUT}.</li>
 * </ul>
 * Each invocation is one whole copy (single shot), onto a fresh target file. Needs root (loop
 * devices). {@code bin/bench CopyEngineBenchmark -f 1 -wi 1 -i 5}.
 */
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@State(Scope.Benchmark)
public class CopyEngineBenchmark {
    private static final long MIB = 1L << 20;
    private static final long SIZE = 1L << 30;
    private static final IoContext CONTEXT = new IoContext("volume 'bench'", "vol-create-from");

    @Param({"file-to-file", "device-to-file", "file-to-device"})
    public String route;

    @Param({"engine", "legacy"})
    public String copier;

    private final Libc libc = Libc.instance();
    private Path dir;
    private Path source;
    private Path target;
    private LoopDevice sourceLoop;
    private LoopDevice sinkLoop;

    @Setup(Level.Trial)
    public void makeImage() throws IOException {
        dir = Files.createTempDirectory(DirPoolFixture.scratchParent(), "copy-bench");
        source = dir.resolve("source.img");
        SplittableRandom random = new SplittableRandom(11);
        byte[] extent = new byte[(int) (4 * MIB)];
        try (FileChannel out = FileChannel.open(source, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 16; i++) {
                random.nextBytes(extent);
                out.write(ByteBuffer.wrap(extent), i * 64 * MIB);
            }
            ByteBuffer zeros = ByteBuffer.allocate((int) MIB);
            for (long at = 0; at < 32 * MIB; at += MIB) {
                out.write(zeros.clear(), 520 * MIB + at);
            }
            out.truncate(SIZE);
            out.write(ByteBuffer.wrap(new byte[] {1}), SIZE - 1);
        }
        if (route.equals("device-to-file")) {
            sourceLoop = LoopDevices.attach(source, true);
        }
        if (route.equals("file-to-device")) {
            Path sink = dir.resolve("sink.img");
            try (Fd fd = libc.open(sink, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL, 0600)) {
                libc.ftruncate(fd, SIZE);
            }
            sinkLoop = LoopDevices.attach(sink, false);
        }
    }

    @Setup(Level.Invocation)
    public void freshTarget() throws IOException {
        target = dir.resolve("target.img");
        Files.deleteIfExists(target);
    }

    @TearDown(Level.Trial)
    public void removeAll() throws IOException {
        if (sourceLoop != null) {
            sourceLoop.close();
        }
        if (sinkLoop != null) {
            sinkLoop.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private Fd newTarget() {
        return libc.open(target, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL, 0600);
    }

    @Benchmark
    public long copy() throws IOException {
        boolean engine = copier.equals("engine");
        switch (route) {
            case "file-to-file" -> {
                if (engine) {
                    try (FdChannel in = FdChannel.openForReading(source, -1, CONTEXT);
                         FileRangeChannel out = FileRangeChannel.writing(newTarget(), target, 0, SIZE,
                                 FileRangeChannel.Zeroing.ALREADY_ZERO, CONTEXT)) {
                        return CopyEngine.copy(in, out, ProgressListener.NONE, CONTEXT).bytes();
                    }
                }
                try (Fd in = libc.open(source, Libc.O_RDONLY, 0); Fd out = newTarget()) {
                    new LegacyCopy().copyFile(in, out, SIZE);
                    return SIZE;
                }
            }
            case "device-to-file" -> {
                if (engine) {
                    try (DeviceRangeChannel in = DeviceRangeChannel.open(sourceLoop.path(), 0, -1, false, CONTEXT);
                         FileRangeChannel out = FileRangeChannel.writing(newTarget(), target, 0, SIZE,
                                 FileRangeChannel.Zeroing.ALREADY_ZERO, CONTEXT)) {
                        return CopyEngine.copy(in, out, ProgressListener.NONE, CONTEXT).bytes();
                    }
                }
                try (FileChannel in = FileChannel.open(sourceLoop.path(), StandardOpenOption.READ); Fd out = newTarget()) {
                    return new LegacyCopy().copyStream(in, out);
                }
            }
            default -> {
                if (engine) {
                    try (FdChannel in = FdChannel.openForReading(source, -1, CONTEXT);
                         DeviceRangeChannel out = DeviceRangeChannel.open(sinkLoop.path(), 0, -1, true, CONTEXT)) {
                        return CopyEngine.copy(in, out, ProgressListener.NONE, CONTEXT).bytes();
                    }
                }
                try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                     FileChannel out = FileChannel.open(sinkLoop.path(), StandardOpenOption.WRITE)) {
                    LegacyCopy.copyAll(in, out, SIZE);
                    return SIZE;
                }
            }
        }
    }
}
