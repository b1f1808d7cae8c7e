package org.libstorage.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.libstorage.BuildMode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;

/**
 * Side-by-side timing of cloning a 4 GiB sparse raw volume that holds 256 MiB of data, in a
 * {@code dir} pool on a loop-mounted filesystem: XFS with reflink (the clone is a reflink), XFS
 * without reflink and ext4 (both copy the data extents with {@code copy_file_range}, holes
 * staying holes). Reference points: {@code cp --reflink=never --sparse=always} and
 * {@code cp --reflink=always}. Each clone is timed alone and then with an {@code fsync} of the
 * copy, and its allocated bytes are reported to show it stayed sparse.
 *
 * <p>Runs as root (mkfs, loop devices, mount). Every image, loop device and mount it makes is
 * removed on exit, on failure and on Ctrl-C.
 *
 * <pre>
 * bin/bench clone [--reps N] [--warmup N] [--dir DIR] [--filesystems xfs,xfs-noreflink,ext4]
 * </pre>
 */
public final class CloneHarness {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;
    private static final long VOLUME_CAPACITY = 4 * GIB;
    /** 64 extents of 4 MiB, one every 64 MiB: 256 MiB of data spread over the 4 GiB. */
    private static final long EXTENT = 4 * MIB;
    private static final long STRIDE = 64 * MIB;
    private static final long IMAGE_SIZE = 8 * GIB;

    /** A filesystem to clone on: its name in the report and how to make it. */
    private record Filesystem(String name, String type, List<String> mkfs) {
    }

    private static final List<Filesystem> FILESYSTEMS = List.of(
            new Filesystem("xfs", "xfs", List.of("mkfs.xfs", "-q", "-f", "-m", "reflink=1")),
            new Filesystem("xfs-noreflink", "xfs", List.of("mkfs.xfs", "-q", "-f", "-m", "reflink=0")),
            new Filesystem("ext4", "ext4", List.of("mkfs.ext4", "-q", "-F")));

    /** One way of making the copy. */
    private record Method(String name, CopyAction action) {
    }

    @FunctionalInterface
    private interface CopyAction {
        /** Makes the copy named {@code name}; returns false when this filesystem cannot do it. */
        boolean copy(Volume source, Path target, String name);
    }

    /** Times of one method on one filesystem. */
    private record Result(String filesystem, String method, boolean supported, double[] millis,
                          double[] millisWithFsync, long allocated, long apparent, long spaceUsed) {
    }

    private final int reps;
    private final int warmup;
    private final Path parent;
    private final List<Filesystem> filesystems;
    /** Undo actions, newest first; run on exit, failure and Ctrl-C. */
    private final Deque<Runnable> cleanup = new ArrayDeque<>();

    private CloneHarness(int reps, int warmup, Path parent, List<Filesystem> filesystems) {
        this.reps = reps;
        this.warmup = warmup;
        this.parent = parent;
        this.filesystems = filesystems;
    }

    public static void main(String[] args) throws Exception {
        int reps = 5;
        int warmup = 1;
        Path parent = Path.of("/var/tmp");
        List<Filesystem> chosen = FILESYSTEMS;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(require(args[i], value));
                case "--warmup" -> warmup = Integer.parseInt(require(args[i], value));
                case "--dir" -> parent = Path.of(require(args[i], value));
                case "--filesystems" -> {
                    List<String> names = Arrays.asList(require(args[i], value).split(","));
                    chosen = FILESYSTEMS.stream().filter(f -> names.contains(f.name())).toList();
                    if (chosen.size() != names.size()) {
                        usage("unknown filesystem in '" + value + "'; choose from xfs, xfs-noreflink, ext4");
                    }
                }
                case "-h", "--help" -> {
                    System.out.println("usage: bin/bench clone [--reps N] [--warmup N] [--dir DIR]"
                            + " [--filesystems xfs,xfs-noreflink,ext4]");
                    return;
                }
                default -> usage("unknown option '" + args[i] + "'");
            }
            i++;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            usage("the clone harness needs root: it makes filesystems on loop devices and mounts them");
        }
        new CloneHarness(reps, warmup, parent, chosen).run();
    }

    private static String require(String option, String value) {
        if (value == null) {
            usage(option + " needs a value");
        }
        return value;
    }

    private static void usage(String problem) {
        System.err.println("bench clone: " + problem);
        System.exit(2);
    }

    private void run() throws IOException {
        Thread hook = new Thread(this::cleanUp, "clone-harness-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        List<Result> results = new ArrayList<>();
        try {
            Files.createDirectories(parent);
            Path scratch = Files.createTempDirectory(parent, "libstorage-clone-bench-");
            cleanup.push(() -> DirPoolFixture.deleteTree(scratch));
            for (Filesystem filesystem : filesystems) {
                results.addAll(measure(scratch, filesystem));
            }
        } finally {
            cleanUp();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        print(results);
    }

    private synchronized void cleanUp() {
        while (!cleanup.isEmpty()) {
            try {
                cleanup.pop().run();
            } catch (RuntimeException e) {
                System.err.println("bench clone: clean-up step failed: " + e.getMessage());
            }
        }
    }

    private List<Result> measure(Path scratch, Filesystem filesystem) throws IOException {
        System.err.printf("%s: making the filesystem%n", filesystem.name());
        Path image = scratch.resolve(filesystem.name() + ".img");
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.truncate(0);
            channel.write(ByteBuffer.allocate(1), IMAGE_SIZE - 1);
        }
        cleanup.push(() -> deleteIfExists(image));
        List<String> mkfs = new ArrayList<>(filesystem.mkfs());
        mkfs.add(image.toString());
        command(mkfs);
        LoopDevice loop = LoopDevices.attach(image, false);
        cleanup.push(loop::close);
        Path mountPoint = Files.createDirectory(scratch.resolve(filesystem.name() + ".mnt"));
        command(List.of("mount", "-t", filesystem.type(), loop.path().toString(), mountPoint.toString()));
        cleanup.push(() -> command(List.of("umount", mountPoint.toString())));

        Storage storage = Storage.open(StorageConfig.ofDirectory(scratch.resolve(filesystem.name() + ".config")));
        cleanup.push(storage::close);
        Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, "clone-" + filesystem.name())
                .targetPath(mountPoint.resolve("pool")).build());
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        cleanup.push(pool::stop);
        Volume source = makeSource(pool);
        System.err.printf("%s: source %s, %d bytes allocated%n", filesystem.name(), source.path(),
                allocatedBytes(source.path()));

        List<Method> methods = List.of(
                new Method("libstorage cloneAs", (from, target, name) -> {
                    from.cloneAs(name, ProgressListener.NONE);
                    return true;
                }),
                new Method("cp --reflink=never --sparse=always", (from, target, name) ->
                        tryCommand(List.of("cp", "--reflink=never", "--sparse=always",
                                from.path().toString(), target.toString()))),
                new Method("cp --reflink=always", (from, target, name) ->
                        tryCommand(List.of("cp", "--reflink=always", from.path().toString(), target.toString()))));
        List<Result> results = new ArrayList<>();
        for (Method method : methods) {
            results.add(time(filesystem, pool, source, method));
        }
        return results;
    }

    /** A 4 GiB sparse raw volume made through the API, then 64 scattered 4 MiB extents of random data. */
    private static Volume makeSource(Pool pool) throws IOException {
        Volume source = pool.createVolume(VolumeDefinition.builder("base.img", VOLUME_CAPACITY)
                .allocation(0).format(VolumeFormat.RAW).build());
        SplittableRandom random = new SplittableRandom(42);
        byte[] bytes = new byte[(int) EXTENT];
        try (FileChannel channel = FileChannel.open(source.path(), StandardOpenOption.WRITE)) {
            for (long offset = 0; offset < VOLUME_CAPACITY; offset += STRIDE) {
                random.nextBytes(bytes);
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer, offset + buffer.position());
                }
            }
            channel.force(true);
        }
        pool.refresh();
        return pool.requireVolume("base.img");
    }

    private Result time(Filesystem filesystem, Pool pool, Volume source, Method method) {
        String name = "copy.img";
        Path target = pool.definition().targetPath().orElseThrow().resolve(name);
        double[] millis = new double[reps];
        double[] withFsync = new double[reps];
        long allocated = -1;
        long apparent = -1;
        long spaceUsed = -1;
        for (int run = -warmup; run < reps; run++) {
            // syncfs first: XFS frees a deleted file's blocks in the background, and the previous
            // run's copy must not be counted back as free space during this one.
            syncFilesystem(target.getParent());
            long freeBefore = freeBytes(target.getParent());
            long start = System.nanoTime();
            boolean supported = method.action().copy(source, target, name);
            long copied = System.nanoTime();
            if (!supported) {
                System.err.printf("%s: %s: not supported here%n", filesystem.name(), method.name());
                return new Result(filesystem.name(), method.name(), false, new double[0], new double[0], -1, -1, -1);
            }
            fsync(target);
            long synced = System.nanoTime();
            if (run >= 0) {
                millis[run] = (copied - start) / 1e6;
                withFsync[run] = (synced - start) / 1e6;
            }
            if (run == reps - 1) {
                allocated = allocatedBytes(target);
                apparent = apparentBytes(target);
                // st_blocks counts shared extents in both files; the filesystem's free space shows
                // what the copy really took.
                syncFilesystem(target.getParent());
                spaceUsed = freeBefore - freeBytes(target.getParent());
                if (!command(List.of("cmp", source.path().toString(), target.toString())).isEmpty()) {
                    throw new IllegalStateException(method.name() + " made a copy that differs from its source");
                }
            }
            // Remove the copy the way it was made: through the API for the library's clone.
            pool.refresh();
            pool.volume(name).ifPresentOrElse(Volume::delete, () -> deleteIfExists(target));
            pool.refresh();
        }
        System.err.printf("%s: %s: median %.1f ms%n", filesystem.name(), method.name(), median(millis));
        return new Result(filesystem.name(), method.name(), true, millis, withFsync, allocated, apparent, spaceUsed);
    }

    private static void fsync(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** st_blocks × 512, read with stat(1) so the check does not rely on the library it checks. */
    private static long allocatedBytes(Path file) {
        return Long.parseLong(command(List.of("stat", "--format=%b", file.toString())).strip()) * 512;
    }

    private static void syncFilesystem(Path directory) {
        command(List.of("sync", "-f", directory.toString()));
    }

    private static long freeBytes(Path directory) {
        try {
            return Files.getFileStore(directory).getUnallocatedSpace();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long apparentBytes(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code argv}; returns its standard output, or throws naming argv, status and output. */
    private static String command(List<String> argv) {
        Supplier<String> description = () -> String.join(" ", argv);
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(description.get() + " did not finish in 10 minutes");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(description.get() + " exited with " + process.exitValue() + ": "
                        + output.strip());
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(description.get() + " could not be run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(description.get() + " was interrupted", e);
        }
    }

    /** Like {@link #command} but false when the command fails (cp --reflink=always where there is no reflink). */
    private static boolean tryCommand(List<String> argv) {
        try {
            command(argv);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    private void print(List<Result> results) {
        System.out.printf(Locale.ROOT, "%nClone of a 4 GiB sparse raw volume holding 256 MiB of data"
                + " (64 x 4 MiB extents); %d runs after %d warm-up; times in ms (median, min-max).%n%n", reps, warmup);
        System.out.println("| filesystem | method | clone | clone + fsync | copy's st_blocks | copy's size"
                + " | free space taken |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Result r : results) {
            if (!r.supported()) {
                System.out.printf(Locale.ROOT, "| %s | %s | not supported | | | | |%n", r.filesystem(), r.method());
                continue;
            }
            System.out.printf(Locale.ROOT, "| %s | %s | %.1f (%.1f-%.1f) | %.1f (%.1f-%.1f) | %s | %s | %s |%n",
                    r.filesystem(), r.method(),
                    median(r.millis()), min(r.millis()), max(r.millis()),
                    median(r.millisWithFsync()), min(r.millisWithFsync()), max(r.millisWithFsync()),
                    size(r.allocated()), size(r.apparent()), size(r.spaceUsed()));
        }
    }

    private static String size(long bytes) {
        return bytes >= GIB && bytes % GIB == 0 ? (bytes / GIB) + " GiB" : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }
}
