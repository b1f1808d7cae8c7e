package org.libstorage.backends.blockio;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.libstorage.ProgressListener;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * The one copy loop: {@code [0, source.size())} of a {@link DataSource} into the same offsets of
 * a {@link DataSink}, by the fastest safe strategy the two media allow:
 * <ol>
 * <li><b>reflink</b> ({@code FICLONE}): a whole file into a new file of the same filesystem that
 * shares extents (XFS with reflink, btrfs);</li>
 * <li><b>{@code copy_file_range}</b> between two files, over the data extents only (the kernel may
 * still share blocks or copy server-side);</li>
 * <li><b>buffered</b>: reads of 1 MiB over the source's data extents; aligned 4 KiB blocks of
 * zeros, and the source's holes, go to {@link DataSink#zero} (a no-op on a new sparse file, a
 * punched hole in an old one, {@code BLKZEROOUT} on a device), the rest is written.</li>
 * </ol>
 * Progress is reported in source bytes, holes included, from {@code 0} to {@code size}. Between
 * chunks an interrupt stops the copy with {@code CANCELLED} (the status stays set); a full
 * medium is {@code NO_SPACE}. The engine never cleans up: the caller made the sink and removes
 * it (a half-made volume) on any failure.
 */
public final class CopyEngine {
    private static final System.Logger LOG = System.getLogger(CopyEngine.class.getName());
    static final int BUFFER_BYTES = 1 << 20;
    static final int BLOCK = FdChannel.BLOCK;
    /** How much copy_file_range moves between two interrupt checks and progress reports. */
    private static final long RANGE_CHUNK = 64L << 20;
    /** Never written: compared against to find zero blocks (vectorized by {@code mismatch}). */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[BUFFER_BYTES]);

    /** The strategy a copy took, for tests and logs. */
    public enum Strategy { REFLINK, COPY_FILE_RANGE, BUFFERED }

    /**
     * What a copy did: the source bytes it got through (less than the source's size only when
     * the source turned out shorter than it said) and how.
     */
    public record Copied(long bytes, Strategy strategy) {
    }

    private CopyEngine() {
    }

    /** Copies the source into the sink, which must hold at least the source's size. */
    public static Copied copy(DataSource source, DataSink sink, ProgressListener progress, IoContext context) {
        long size = source.size();
        if (sink.size() < size) {
            throw context.failure(org.libstorage.ErrorCode.INVALID_ARGUMENT, "The copy needs " + size
                    + " bytes but its target holds " + sink.size() + ".");
        }
        progress.progress(0, size);
        context.checkInterrupt("the copy");
        Copied copied;
        if (Streams.medium(source) instanceof FileRangeChannel from && Streams.medium(sink) instanceof FileRangeChannel to) {
            copied = copyFiles(from, to, size, progress, context);
        } else {
            if (Streams.medium(sink) instanceof FileRangeChannel to) {
                to.reserve();
            }
            copied = new Copied(buffered(source, sink, 0, size, progress, context), Strategy.BUFFERED);
        }
        progress.progress(copied.bytes(), size);
        return copied;
    }

    private static Copied copyFiles(FileRangeChannel from, FileRangeChannel to, long size, ProgressListener progress,
                                      IoContext context) {
        Libc libc = Libc.instance();
        if (from.wholeFile() && to.base() == 0 && to.zeroing() == FileRangeChannel.Zeroing.ALREADY_ZERO) {
            try {
                libc.ficlone(to.fd(), from.fd());
                to.wrote(size);
                return new Copied(size, Strategy.REFLINK);
            } catch (NativeCallException e) {
                if (e.errno() == Libc.ENOSPC || e.errno() == Libc.EDQUOT) {
                    throw context.failure("reflink " + from.path() + " to " + to.path(), e);
                }
                // EOPNOTSUPP, EXDEV, EINVAL, ENOTTY...: no reflinks between these two. A failed
                // FICLONE leaves the new file untouched, so it is not truncated again (on ext4 a
                // truncate to 0 makes close() flush everything copied after).
                LOG.log(Level.DEBUG, () -> "no reflink (" + e.errnoName() + "); copying extents");
            }
        }
        to.reserve();
        long position = 0;
        while (position < size) {
            long data = from.nextData(position);
            if (data > position) {
                zero(to, position, data - position, progress, size, context);
                position = data;
                continue;
            }
            long end = Math.min(size, from.nextHole(position));
            while (position < end) {
                context.checkInterrupt("the copy into " + to.path() + " at byte " + position + " of " + size);
                long n;
                try {
                    n = libc.copyFileRange(from.fd(), from.base() + position, to.fd(), to.base() + position,
                            Math.min(RANGE_CHUNK, end - position));
                } catch (NativeCallException e) {
                    if (!fallsBack(e)) {
                        throw context.failure("copy " + from.path() + " into " + to.path() + " at byte " + position, e);
                    }
                    LOG.log(Level.DEBUG, () -> "copy_file_range unavailable here (" + e.errnoName() + "); buffered copy");
                    return new Copied(buffered(from, to, position, size, progress, context), Strategy.BUFFERED);
                }
                if (n == 0) {
                    return new Copied(position, Strategy.COPY_FILE_RANGE); // the source shrank under us
                }
                position += n;
                to.wrote(position);
                progress.progress(position, size);
            }
        }
        return new Copied(size, Strategy.COPY_FILE_RANGE);
    }

    private static boolean fallsBack(NativeCallException e) {
        int errno = e.errno();
        return errno == Libc.EXDEV || errno == Libc.EOPNOTSUPP || errno == Libc.EINVAL || errno == Libc.ENOSYS
                || errno == Libc.EBADF;
    }

    /** The buffered strategy from {@code position} on; returns where the source ended. */
    private static long buffered(DataSource source, DataSink sink, long position, long size,
                                 ProgressListener progress, IoContext context) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
        while (position < size) {
            long data = source.nextData(position);
            if (data > position) {
                zero(sink, position, data - position, progress, size, context);
                position = data;
                continue;
            }
            long end = Math.min(size, source.nextHole(position));
            while (position < end) {
                context.checkInterrupt("the copy at byte " + position + " of " + size);
                buffer.clear().limit((int) Math.min(BUFFER_BYTES, end - position));
                while (buffer.hasRemaining()) {
                    if (source.read(position + buffer.position(), buffer) < 0) {
                        break;
                    }
                }
                int filled = buffer.position();
                if (filled == 0) {
                    return position; // the source is shorter than it said; the rest stays as the sink has it
                }
                writeBlocks(sink, position, buffer.flip());
                position += filled;
                progress.progress(position, size);
            }
        }
        return size;
    }

    /**
     * Writes {@code data} at {@code offset}: runs of whole zero blocks (aligned to the medium)
     * become one {@link DataSink#zero} call, runs of other blocks one write. A zero run is
     * crossed with one vectorized {@code mismatch} against zeros, a data run block by block; no
     * allocation per block.
     */
    static void writeBlocks(DataSink sink, long offset, ByteBuffer data) {
        MemorySegment bytes = MemorySegment.ofBuffer(data);
        long length = bytes.byteSize();
        long position = 0;
        while (position < length) {
            if (zeroBlockAt(bytes, offset, position)) {
                // position is block-aligned here; the run ends at the block holding the next non-zero byte.
                long nonZero = firstNonZero(bytes, position);
                long end = position + (nonZero - position) / BLOCK * BLOCK;
                sink.zero(offset + position, end - position);
                position = end;
            } else {
                long start = position;
                position = blockEnd(offset, position, length);
                while (position < length && !zeroBlockAt(bytes, offset, position)) {
                    position = blockEnd(offset, position, length);
                }
                sink.write(offset + start, data.slice(data.position() + (int) start, (int) (position - start)));
            }
        }
        data.position(data.limit());
    }

    /** The end of the medium's block that holds {@code position} (relative to the buffer), or the buffer's end. */
    private static long blockEnd(long offset, long position, long length) {
        return Math.min(length, position + BLOCK - Math.floorMod(offset + position, BLOCK));
    }

    /** Whether a whole, aligned block of zeros starts at {@code position}. */
    private static boolean zeroBlockAt(MemorySegment bytes, long offset, long position) {
        return Math.floorMod(offset + position, BLOCK) == 0 && bytes.byteSize() - position >= BLOCK
                && MemorySegment.mismatch(bytes, position, position + BLOCK, ZEROS, 0, BLOCK) < 0;
    }

    /** The first non-zero byte at or after {@code from}, or the segment's size. */
    private static long firstNonZero(MemorySegment bytes, long from) {
        long n = bytes.byteSize();
        for (long at = from; at < n; at += ZEROS.byteSize()) {
            long length = Math.min(ZEROS.byteSize(), n - at);
            long mismatch = MemorySegment.mismatch(bytes, at, at + length, ZEROS, 0, length);
            if (mismatch >= 0) {
                return at + mismatch;
            }
        }
        return n;
    }

    private static void zero(DataSink sink, long offset, long length, ProgressListener progress, long size,
                             IoContext context) {
        long chunk = sink.rangeChunk();
        long done = 0;
        while (done < length) {
            context.checkInterrupt("the copy at byte " + (offset + done) + " of " + size);
            long n = Math.min(chunk, length - done);
            sink.zero(offset + done, n);
            done += n;
            progress.progress(offset + done, size);
        }
    }

    /** Whether the buffer's remaining bytes are all zero (its position does not move). */
    public static boolean isZero(ByteBuffer bytes) {
        MemorySegment segment = MemorySegment.ofBuffer(bytes);
        long n = segment.byteSize();
        for (long at = 0; at < n; at += ZEROS.byteSize()) {
            long length = Math.min(ZEROS.byteSize(), n - at);
            if (MemorySegment.mismatch(segment, at, at + length, ZEROS, 0, length) >= 0) {
                return false;
            }
        }
        return true;
    }
}
