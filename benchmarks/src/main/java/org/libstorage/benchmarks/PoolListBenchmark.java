package org.libstorage.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.libstorage.BuildMode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolStatus;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
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
 * What {@code storagectl pool-list --all --details} costs in one process: 100 defined {@code dir}
 * pools, half of them started, each listed with its state, autostart flag and space.
 */
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class PoolListBenchmark {

    @Param("100")
    public int pools;

    private Path scratch;
    private Storage storage;

    @Setup(Level.Trial)
    public void define() throws IOException {
        Path parent = DirPoolFixture.scratchParent();
        Files.createDirectories(parent);
        scratch = Files.createTempDirectory(parent, "libstorage-bench-");
        storage = Storage.open(StorageConfig.ofDirectory(scratch.resolve("config")));
        for (int i = 0; i < pools; i++) {
            Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, "pool-%03d".formatted(i))
                    .targetPath(scratch.resolve("pool-" + i)).build());
            pool.build(BuildMode.NO_OVERWRITE);
            if (i % 2 == 0) {
                pool.start();
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        for (Pool pool : storage.pools()) {
            if (pool.isActive()) {
                pool.stop();
            }
        }
        storage.close();
        try {
            DirPoolFixture.deleteTree(scratch);
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("cannot remove " + scratch, e));
        }
    }

    /** The same through {@code Pool.status()}: one look per pool, as pool-list does it now. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public List<Object> listPoolStatuses() {
        List<Object> rows = new ArrayList<>();
        for (Pool pool : storage.pools()) {
            PoolStatus status = pool.status();
            rows.add(List.of(pool.name(), status.active(), status.autostart(), status.info().capacity(),
                    status.info().available()));
        }
        return rows;
    }

    /** Every pool's name, state, autostart flag and space, asked one by one (pool-list before {@code status()}). */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public List<Object> listPools() {
        List<Object> rows = new ArrayList<>();
        for (Pool pool : storage.pools()) {
            PoolInfo info = pool.info();
            rows.add(List.of(pool.name(), pool.isActive(), pool.isAutostart(), info.capacity(), info.available()));
        }
        return rows;
    }
}
