package org.libstorage.benchmarks;

import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
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
 * What one native call costs through FFM (what libstorage uses) and through JNA (what
 * libvirt-java and most older Java bindings use), on the same libc and libblkid functions:
 * {@code getpid} (no work: the call's own cost), {@code stat} of a path (a string to convert
 * and a struct to fill, as most of libstorage's calls) and {@code blkid_probe_get_size} on an
 * open probe (a call into another library). JNA in its two styles: an interface proxy
 * ({@code Native.load}, the common one) and direct mapping ({@code Native.register}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class NativeCallBenchmark {
    private static final Linker LINKER = Linker.nativeLinker();
    /** struct stat on x86-64 is 144 bytes; st_size at 48. */
    private static final long STAT_SIZE = 144;

    /** JNA, interface style. */
    public interface LibC extends Library {
        int getpid();

        int stat(String path, Pointer buf);
    }

    public interface LibBlkid extends Library {
        long blkid_probe_get_size(Pointer probe);
    }

    /** JNA, direct mapping: native methods bound by Native.register. */
    public static final class DirectLibC {
        static {
            Native.register(NativeLibrary.getInstance("c"));
        }

        public static native int getpid();

        public static native int stat(String path, Pointer buf);

        private DirectLibC() {
        }
    }

    public static final class DirectBlkid {
        static {
            Native.register(NativeLibrary.getInstance("blkid"));
        }

        public static native long blkid_probe_get_size(Pointer probe);

        private DirectBlkid() {
        }
    }

    private MethodHandle getpid;
    private MethodHandle getpidCritical;
    private MethodHandle stat;
    private MethodHandle probeSize;
    private MethodHandle freeProbe;
    private LibC jnaLibc;
    private LibBlkid jnaBlkid;
    private Arena arena;
    private MemorySegment statBuffer;
    private Memory jnaStatBuffer;
    private MemorySegment probe;
    private Pointer jnaProbe;
    private Path dir;
    private String path;

    @Setup(Level.Trial)
    public void setUp() throws Throwable {
        SymbolLookup libc = LINKER.defaultLookup();
        arena = Arena.ofShared();
        SymbolLookup blkid = SymbolLookup.libraryLookup("libblkid.so.1", arena);
        getpid = LINKER.downcallHandle(libc.find("getpid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        getpidCritical = LINKER.downcallHandle(libc.find("getpid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT),
                Linker.Option.critical(false));
        stat = LINKER.downcallHandle(libc.find("stat").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        probeSize = LINKER.downcallHandle(blkid.find("blkid_probe_get_size").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        MethodHandle newProbe = LINKER.downcallHandle(blkid.find("blkid_new_probe_from_filename").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        freeProbe = LINKER.downcallHandle(blkid.find("blkid_free_probe").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        jnaLibc = Native.load("c", LibC.class);
        jnaBlkid = Native.load("blkid", LibBlkid.class);
        statBuffer = arena.allocate(STAT_SIZE, 8);
        jnaStatBuffer = new Memory(STAT_SIZE);

        dir = Files.createTempDirectory(DirPoolFixture.scratchParent(), "native-call-bench-");
        Path image = dir.resolve("image.raw");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(4L << 20);
        }
        path = image.toString();
        try {
            probe = (MemorySegment) newProbe.invokeExact(arena.allocateFrom(path));
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (probe.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("blkid_new_probe_from_filename " + path + " failed");
        }
        jnaProbe = new Pointer(probe.address());
        if (jnaBlkid.blkid_probe_get_size(jnaProbe) != 4L << 20 || ffmBlkidProbeSize() != 4L << 20
                || jnaStat() != 0 || ffmStat() != 0 || DirectLibC.getpid() != ffmGetpid()) {
            throw new IllegalStateException("FFM and JNA disagree");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Throwable {
        freeProbe.invokeExact(probe);
        arena.close();
        DirPoolFixture.deleteTree(dir);
    }

    @Benchmark
    public int ffmGetpid() throws Throwable {
        return (int) getpid.invokeExact();
    }

    /** A critical (no thread-state transition) downcall: allowed for short calls that do not block or call back. */
    @Benchmark
    public int ffmGetpidCritical() throws Throwable {
        return (int) getpidCritical.invokeExact();
    }

    @Benchmark
    public int jnaGetpid() {
        return jnaLibc.getpid();
    }

    @Benchmark
    public int jnaDirectGetpid() {
        return DirectLibC.getpid();
    }

    /** stat with the path converted to a C string in a confined arena on each call, as libstorage does. */
    @Benchmark
    public int ffmStat() throws Throwable {
        try (Arena call = Arena.ofConfined()) {
            return (int) stat.invokeExact(call.allocateFrom(path), statBuffer);
        }
    }

    @Benchmark
    public int jnaStat() {
        return jnaLibc.stat(path, jnaStatBuffer);
    }

    @Benchmark
    public int jnaDirectStat() {
        return DirectLibC.stat(path, jnaStatBuffer);
    }

    @Benchmark
    public long ffmBlkidProbeSize() throws Throwable {
        return (long) probeSize.invokeExact(probe);
    }

    @Benchmark
    public long jnaBlkidProbeSize() {
        return jnaBlkid.blkid_probe_get_size(jnaProbe);
    }

    @Benchmark
    public long jnaDirectBlkidProbeSize() {
        return DirectBlkid.blkid_probe_get_size(jnaProbe);
    }
}
