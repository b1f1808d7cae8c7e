package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * errno-capturing downcalls built from jextract's addresses and descriptors. jextract's own
 * handles do not capture errno, and by the time Java code could call {@code __errno_location}
 * the JVM may have overwritten it, so the linker stores it into a caller-supplied segment.
 */
final class Downcalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private Downcalls() {
    }

    /** A handle whose first parameter is the capture segment (see {@link #captureSegment}). */
    static MethodHandle capturingErrno(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, CAPTURE_ERRNO);
    }

    /** As {@link #capturingErrno}, for a variadic function whose fixed part has {@code fixedArgs} parameters. */
    static MethodHandle capturingErrnoVariadic(MemorySegment address, FunctionDescriptor descriptor, int fixedArgs) {
        return LINKER.downcallHandle(address, descriptor, Linker.Option.firstVariadicArg(fixedArgs), CAPTURE_ERRNO);
    }

    /** Allocates the per-call errno capture segment in the caller's (confined) arena. */
    static MemorySegment captureSegment(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /**
     * Turns what {@code invokeExact} may throw into something to rethrow: runtime exceptions
     * (our own NativeCallException) and errors pass through; anything else is a binding bug.
     */
    static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected checked exception from a native downcall", t);
    }
}
