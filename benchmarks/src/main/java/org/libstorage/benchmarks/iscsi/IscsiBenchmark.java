package org.libstorage.benchmarks.iscsi;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.TimeUnit;
import org.libstorage.VolumeDefinition;
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
 * iscsi-direct against tgtd on loopback: refreshing a target with 32 LUNs (login, REPORT LUNS,
 * INQUIRY + READ CAPACITY(16) per LUN, logout), and streaming 1 GiB to and from one LUN
 * through the upload/download channels. Divide 1 GiB by the stream scores for throughput;
 * {@link IscsiSideBySide} prints it next to {@code iscsi-perf} on the same target.
 *
 * <p>Run (as root): {@code java -cp benchmarks/target/benchmarks.jar:... org.openjdk.jmh.Main IscsiBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class IscsiBenchmark {
    static final long STREAM_BYTES = 1L << 30;
    static final int LUNS = 32;

    LoopbackTarget target;
    PoolDriver many;
    PoolDriver big;
    VolumeDefinition bigLun;
    ByteBuffer chunk;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        target = LoopbackTarget.start(LUNS, STREAM_BYTES);
        many = target.manyLunsPool();
        big = target.bigLunPool();
        bigLun = big.refresh().volumes().stream().filter(v -> v.name().equals("unit:0:0:1")).findFirst().orElseThrow();
        chunk = ByteBuffer.allocateDirect(1 << 20);
        for (int i = 0; i < chunk.capacity(); i += 8) {
            chunk.putLong(i, 0x5A5A_1234_0000_0000L + i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        target.close();
    }

    @Benchmark
    public PoolContents refresh32Luns() {
        return many.refresh();
    }

    @Benchmark
    public long upload1GiB() throws Exception {
        long written = 0;
        try (WritableByteChannel out = big.openWrite(bigLun, 0, STREAM_BYTES)) {
            while (written < STREAM_BYTES) {
                chunk.clear();
                written += out.write(chunk);
            }
        }
        return written;
    }

    @Benchmark
    public long download1GiB() throws Exception {
        long read = 0;
        try (ReadableByteChannel in = big.openRead(bigLun, 0, STREAM_BYTES)) {
            int n;
            while ((n = in.read(chunk.clear())) >= 0) {
                read += n;
            }
        }
        return read;
    }
}
