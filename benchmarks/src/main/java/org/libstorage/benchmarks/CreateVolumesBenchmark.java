package org.libstorage.benchmarks;

import java.util.concurrent.TimeUnit;

import org.libstorage.Volume;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
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

    /** Pool for the one-at-a-time benchmark; emptied after every iteration so it stays small. */
    @State(Scope.Benchmark)
    public static class GrowingPool {
        DirPoolFixture fixture;
        int next;

        @Setup(Level.Trial)
        public void open() {
            fixture = DirPoolFixture.create(DirPoolFixture.scratchParent(), "create-one");
        }

        @TearDown(Level.Iteration)
        public void empty() {
            fixture.deleteAllVolumes();
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

    /** Time per {@code createVolume} call while the pool grows from empty for one iteration. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Volume createOneVolume(GrowingPool state) {
        return state.fixture.pool().createVolume(DirPoolFixture.sparseRaw(DirPoolFixture.volumeName(state.next++)));
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
