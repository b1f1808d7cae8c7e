package org.libstorage.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.libstorage.Volume;
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
 * A {@code dir} pool holding 10,000 sparse raw volumes: refreshing it (a rescan of the
 * directory), listing it, and finding one volume by name ({@code Pool.volume}) and by path
 * ({@code Storage.volumeByPath}, with the canonical path and with another spelling of it).
 */
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class PoolListingBenchmark {

    @Param("10000")
    public int volumes;

    private DirPoolFixture fixture;
    private String[] names;
    private Path[] paths;
    private Path[] otherSpellings;
    private int next;

    @Setup(Level.Trial)
    public void populate() {
        fixture = DirPoolFixture.create(DirPoolFixture.scratchParent(), "listing");
        fixture.populateOutsideTheLibrary(volumes);
        int found = fixture.pool().volumes().size();
        if (found != volumes) {
            throw new IllegalStateException("refresh found " + found + " volumes, expected " + volumes);
        }
        // Look volumes up in a scattered order, not the directory's or the sorted order.
        names = new String[volumes];
        paths = new Path[volumes];
        otherSpellings = new Path[volumes];
        Path directory = fixture.poolDirectory();
        for (int i = 0; i < volumes; i++) {
            int index = (int) ((i * 7919L) % volumes);
            names[i] = DirPoolFixture.volumeName(index);
            paths[i] = directory.resolve(names[i]);
            // dir/./name and ../pool/name both resolve to the same file.
            otherSpellings[i] = directory.resolve("..").resolve(directory.getFileName()).resolve(".").resolve(names[i]);
        }
        // Every lookup must be a hit, or the benchmark would time misses.
        if (fixture.pool().volume(names[0]).isEmpty() || fixture.storage().volumeByPath(paths[0]).isEmpty()
                || fixture.storage().volumeByPath(otherSpellings[0]).isEmpty()) {
            throw new IllegalStateException("volume " + names[0] + " is not found by name or path");
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        fixture.close();
    }

    private int nextIndex() {
        int index = next;
        next = index + 1 == volumes ? 0 : index + 1;
        return index;
    }

    /** {@code Pool.refresh()} followed by {@code Pool.volumes()}: what {@code vol-list} after a rescan costs. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public List<Volume> refreshAndList() {
        fixture.pool().refresh();
        return fixture.pool().volumes();
    }

    /**
     * Baseline for {@link #refreshAndList}: what any scan of the directory costs, a listing
     * ({@code getdents64}) and one {@code statx} of each entry through the same C-library bindings,
     * keeping each entry's size.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long scanAndStatBaseline() throws IOException {
        Libc libc = Libc.instance();
        long bytes = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fixture.poolDirectory())) {
            for (Path entry : entries) {
                bytes += libc.statx(entry, false).size();
            }
        }
        return bytes;
    }

    /** {@code Pool.volumes()} alone: the last refresh's view. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public List<Volume> list() {
        return fixture.pool().volumes();
    }

    /**
     * Baseline: {@code Pool.isActive()}, the cheapest call through the pool's lock, so the
     * lookups can be read as this fixed cost plus the search.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean isActiveBaseline() {
        return fixture.pool().isActive();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Optional<Volume> lookupByName() {
        return fixture.pool().volume(names[nextIndex()]);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Optional<Volume> lookupByPath() {
        return fixture.storage().volumeByPath(paths[nextIndex()]);
    }

    /** {@code Storage.volumeByKey}: a dir volume's key is its canonical path. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Optional<Volume> lookupByKey() {
        return fixture.storage().volumeByKey(paths[nextIndex()].toString());
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Optional<Volume> lookupByOtherPathSpelling() {
        return fixture.storage().volumeByPath(otherSpellings[nextIndex()]);
    }
}
