package org.libstorage.nativelib;

import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A loop device this process attached. {@link #close()} detaches it, once, however often it
 * is called; tests use it in try-with-resources so the device is freed even on failure.
 */
public final class LoopDevice implements AutoCloseable {
    private final int number;
    private final Path backingFile;
    private final AtomicBoolean detached = new AtomicBoolean();

    LoopDevice(int number, Path backingFile) {
        this.number = number;
        this.backingFile = Objects.requireNonNull(backingFile, "backingFile");
    }

    /** The N of {@code /dev/loopN}. */
    public int number() {
        return number;
    }

    /** {@code /dev/loopN}. */
    public Path path() {
        return LoopDevices.devicePath(number);
    }

    /** The partition node {@code /dev/loopNpM} (present when the device was attached with partition scanning). */
    public Path partition(int partitionNumber) {
        if (partitionNumber < 1) {
            throw new IllegalArgumentException("partition numbers start at 1, not " + partitionNumber);
        }
        return Path.of("/dev/loop" + number + "p" + partitionNumber);
    }

    /** The file this device was attached to. */
    public Path backingFile() {
        return backingFile;
    }

    public boolean isAttached() {
        return !detached.get();
    }

    /** Detaches the device ({@code LOOP_CLR_FD}). */
    @Override
    public void close() {
        if (detached.compareAndSet(false, true)) {
            LoopDevices.detach(path());
        }
    }

    @Override
    public String toString() {
        return path() + " -> " + backingFile;
    }
}
