package org.libstorage.backends.blockio;

import java.nio.ByteBuffer;

/**
 * Bytes to write to: {@code [0, size())} of a file, a block device or a range of one, a LUN, or
 * a channel written in order. Offsets are relative to the start of the range. Fails as the
 * package says (unchecked {@code StorageException}s; a full medium is {@code NO_SPACE}).
 */
public interface DataSink extends AutoCloseable {
    /** How many bytes the range holds. */
    long size();

    /** Writes all of {@code src}'s remaining bytes at {@code offset}. */
    void write(long offset, ByteBuffer src);

    /**
     * Makes {@code [offset, offset + length)} read as zeros, as cheaply as the medium can: nothing
     * where it is known to be zero already, a punched hole in a file, {@code BLKZEROOUT} on a
     * block device, WRITE SAME on a LUN, written zeros otherwise.
     */
    void zero(long offset, long length);

    /**
     * Discards (TRIMs) {@code [offset, offset + length)}: the medium may free the blocks; reads
     * may return zeros or old data afterwards.
     *
     * @throws org.libstorage.StorageException {@code OPERATION_UNSUPPORTED} where the medium cannot
     */
    void discard(long offset, long length);

    /** How many bytes one {@link #zero} or {@link #discard} call should cover at most (interrupts are checked between calls). */
    default long rangeChunk() {
        return 64L << 20;
    }

    /** Makes what was written durable (fsync/fdatasync, SYNCHRONIZE CACHE). */
    void flush();

    @Override
    void close();
}
