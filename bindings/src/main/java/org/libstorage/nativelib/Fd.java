package org.libstorage.nativelib;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open file descriptor owned by Java code. {@link #close()} closes it once, however often
 * it is called and from whichever thread; using it after that throws, so a number the kernel
 * has since handed to someone else is never touched.
 */
public final class Fd implements AutoCloseable {
    private final Libc libc;
    private final int value;
    private final AtomicBoolean closed = new AtomicBoolean();

    Fd(Libc libc, int value) {
        this.libc = libc;
        this.value = value;
    }

    /** The descriptor number. */
    public int value() {
        if (closed.get()) {
            throw new IllegalStateException("file descriptor " + value + " is closed");
        }
        return value;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Closes the descriptor. A failure (EIO from a late write-back, say) is reported, but the
     * descriptor is released either way, as Linux does; it is never closed twice.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            libc.closeRaw(value);
        }
    }

    @Override
    public String toString() {
        return "Fd[" + value + (closed.get() ? ", closed]" : "]");
    }
}
