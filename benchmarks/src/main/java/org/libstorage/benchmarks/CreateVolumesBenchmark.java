package org.libstorage.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.libstorage.Volume;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Creating sparse raw volumes (1 GiB, allocation 0) in a {@code dir} pool through
 * {@code Pool.createVolume}: one at a time, and a whole batch of 1,000 into an empty pool; and,
 * as the floor to read them against, the bare system calls of such a file
 * ({@code open(O_CREAT|O_EXCL)}, {@code ftruncate}, {@code fchmod}, {@code close}) through the
 * same C-library bindings, in a plain directory.
 */
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CreateVolumesBenchmark {

    /**
     * Pool for the one-at-a-time benchmark: {@code existing} volumes made beforehand (to show
     * whether a create costs more in a big pool), and the volumes each iteration created deleted
     * after it, so the pool does not keep growing.
     */
    @State(Scope.Benchmark)
    public static class GrowingPool {
        @Param({"0", "10000"})
        public int existing;

        DirPoolFixture fixture;
        final List<Volume> created = new ArrayList<>();
        int next;

        @Setup(Level.Trial)
        public void open() {
            fixture = DirPoolFixture.create(DirPoolFixture.scratchParent(), "create-one");
            fixture.populateOutsideTheLibrary(existing);
            next = existing;
        }

        @TearDown(Level.Iteration)
        public void deleteCreated() {
            created.forEach(Volume::delete);
            created.clear();
        }

        @TearDown(Level.Trial)
        public void close() {
            fixture.close();
        }
    }

    /** Pool for the batch benchmark; empty again before every batch. */
    @State(Scope.Benchmark)
    public static class EmptyPool {
        static final int BATCH = 1_000;
        DirPoolFixture fixture;

        @Setup(Level.Trial)
        public void open() {
            fixture = DirPoolFixture.create(DirPoolFixture.scratchParent(), "create-batch");
        }

        @Setup(Level.Invocation)
        public void empty() {
            fixture.deleteAllVolumes();
        }

        @TearDown(Level.Trial)
        public void close() {
            fixture.close();
        }
    }

    /**
     * A plain directory for the baselines, next to the pools (same filesystem): {@code existing}
     * files made beforehand, like the pool's, and what each iteration made removed after it.
     */
    @State(Scope.Benchmark)
    public static class BareDirectory {
        @Param({"0", "10000"})
        public int existing;

        final Libc libc = Libc.instance();
        Path directory;
        final List<Path> created = new ArrayList<>();
        int next;

        @Setup(Level.Trial)
        public void open() throws IOException {
            directory = Files.createTempDirectory(DirPoolFixture.scratchParent(), "libstorage-bench-bare-");
            for (next = 0; next < existing; next++) {
                createFile(this, directory.resolve(DirPoolFixture.volumeName(next)));
            }
        }

        @TearDown(Level.Iteration)
        public void deleteCreated() throws IOException {
            for (Path file : created) {
                Files.delete(file);
            }
            created.clear();
        }

        @TearDown(Level.Trial)
        public void close() {
            DirPoolFixture.deleteTree(directory);
        }
    }

    /** The system calls of a new sparse file, as a C loop would make them: no checks, no listing, no lock. */
    static void createFile(BareDirectory state, Path file) {
        Libc libc = state.libc;
        try (Fd fd = libc.open(file, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0600)) {
            libc.ftruncate(fd, DirPoolFixture.VOLUME_CAPACITY);
            libc.fchmod(fd, 0600);
        }
    }

    /** Baseline for {@link #createOneVolume}: one new sparse file by its bare system calls. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Path createOneFileBaseline(BareDirectory state) {
        Path file = state.directory.resolve(DirPoolFixture.volumeName(state.next++));
        createFile(state, file);
        state.created.add(file);
        return file;
    }

    /** Time per {@code createVolume} call, the pool holding {@code existing} volumes and those created so far. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Volume createOneVolume(GrowingPool state) {
        Volume volume = state.fixture.pool().createVolume(DirPoolFixture.sparseRaw(DirPoolFixture.volumeName(state.next++)));
        state.created.add(volume);
        return volume;
    }

    /** Time to create 1,000 volumes in an empty pool, one after another. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int createThousandVolumes(EmptyPool state) {
        for (int i = 0; i < EmptyPool.BATCH; i++) {
            state.fixture.pool().createVolume(DirPoolFixture.sparseRaw(DirPoolFixture.volumeName(i)));
        }
        return EmptyPool.BATCH;
    }
}
