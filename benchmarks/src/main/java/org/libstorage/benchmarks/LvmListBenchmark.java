package org.libstorage.benchmarks;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.libstorage.BuildMode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Refreshing (listing) a logical pool of 200 LVs: LVM in-process through liblvm2cmd against the
 * lvm command. A refresh is one {@code lvm fullreport} of the group (its size, LVs and PV
 * segments) parsed into volumes. Needs root and loop devices; LVM runs with activation off and
 * sees only the benchmark's own loop device. Run it with {@code bin/bench LvmList}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class LvmListBenchmark {
    static final int VOLUMES = 200;

    private Path dir;
    private LoopDevice loop;
    private PoolDriver pool;

    @Setup(Level.Trial)
    public void createPool() throws IOException {
        dir = Files.createTempDirectory("lvm-bench");
        Path image = dir.resolve("pv.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(2L << 30);
        }
        loop = LoopDevices.attach(image, false);
        Files.createDirectories(dir.resolve("lock"));
        String config = "devices{global_filter=[\"a|^" + loop.path() + "$|\",\"r|.*|\"] use_devicesfile=0}"
                + " global{activation=0 locking_dir=\"" + dir.resolve("lock") + "\"}"
                + " backup{backup=0 archive=0}";
        PoolBackend backend = ServiceLoader.load(PoolBackend.class).stream().map(ServiceLoader.Provider::get)
                .filter(b -> b.type() == PoolType.LOGICAL).findFirst().orElseThrow();
        String vg = "bench_" + UUID.randomUUID().toString().substring(0, 8);
        PoolDefinition definition = backend.validate(PoolDefinition.builder(PoolType.LOGICAL, vg)
                .source(PoolSource.builder().name(vg).device(loop.path()).build()).build());
        pool = backend.open(definition, new org.libstorage.spi.BackendContext(dir.resolve("state"), null,
                org.libstorage.spi.Jobs.NONE, java.util.Map.of("lvm.config", config,
                "lvm.engine", System.getProperty("libstorage.bench.lvm.engine", "auto"))));
        pool.build(BuildMode.OVERWRITE);
        for (int i = 0; i < VOLUMES; i++) {
            pool.createVolume(VolumeDefinition.builder("lv" + i, 4L << 20).build());
        }
    }

    @TearDown(Level.Trial)
    public void deletePool() throws IOException {
        try {
            if (pool != null) {
                pool.delete();
            }
        } finally {
            loop.close();
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dlibstorage.bench.lvm.engine=auto"})
    public PoolContents inProcess() {
        return pool.refresh();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dlibstorage.bench.lvm.engine=command"})
    public PoolContents command() {
        return pool.refresh();
    }
}
