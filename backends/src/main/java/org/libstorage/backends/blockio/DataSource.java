package org.libstorage.backends.blockio;

import java.nio.ByteBuffer;

/**
 * Bytes to copy from: {@code [0, size())} of a file, a block device or a range of one, a LUN,
 * or a channel read in order. Offsets are relative to the start of the range. Fails as the
 * package says (unchecked {@code StorageException}s).
 */
public interface DataSource extends AutoCloseable {
    /** How many bytes there are. */
    long size();

    /**
     * Reads into {@code dst}'s remaining space from {@code offset}; returns the bytes read, or -1
     * at the end (also when the medium turned out shorter than {@link #size()}).
     */
    int read(long offset, ByteBuffer dst);

    /**
     * Where the first data at or after {@code from} starts, or {@link #size()} when only a hole
     * follows. A source that cannot tell holes from data answers {@code from}: everything is
     * data, and the engine looks for zeros itself.
     */
    default long nextData(long from) {
        return from;
    }

    /** Where the data that {@code from} lies in ends (the next hole, or {@link #size()}). */
    default long nextHole(long from) {
        return size();
    }

    /** Whether {@link #nextData} knows holes (then the engine need not look for zeros in the data). */
    default boolean knowsHoles() {
        return false;
    }

    @Override
    void close();
}
