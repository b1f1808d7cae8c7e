package org.libstorage.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.libstorage.Volume;
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
 * {@code Pool.createVolume}: one at a time, and a whole batch of 1,000 into an empty pool.
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
