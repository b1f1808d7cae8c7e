package org.libstorage.backends.blockio;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import org.libstorage.ErrorCode;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * A bounded channel over {@code [base, base + length)} of an open descriptor: a file
 * ({@link FileRangeChannel}) or a block device ({@link DeviceRangeChannel}). It is a
 * {@link SeekableByteChannel} for the API's upload and download (position 0 is {@code base}),
 * and a {@link DataSource} and {@link DataSink} for the engines, which use its positional calls.
 * It never goes past its end. Writes through the channel leave aligned 4 KiB runs of zeros to
 * {@link #zero}, so they stay holes where the medium is sparse.
 *
 * <p>Not thread-safe, like most channels' users. Fails as the package says.
 */
public abstract sealed class FdChannel implements SeekableByteChannel, DataSource, DataSink
        permits FileRangeChannel, DeviceRangeChannel {
    /** The unit of zero detection: a filesystem block, and a multiple of every sector size. */
    static final int BLOCK = 4096;

    final Libc libc = Libc.instance();
    final Fd fd;
    final Path path;
    final long base;
    final long length;
    final boolean writable;
    final IoContext context;
    /** Whether closing the channel closes {@link #fd}; a borrowed one is the caller's to close. */
    final boolean ownsFd;
    private boolean open = true;
    private long position;
    /** A run of zero blocks written through the channel and not yet passed to {@link #zero}: {@code [zeroStart, position)}, or -1. */
    private long zeroStart = -1;
    private MemorySegment staging;
    boolean written;

    FdChannel(Fd fd, boolean ownsFd, Path path, long base, long length, boolean writable, IoContext context) {
        this.fd = fd;
        this.ownsFd = ownsFd;
        this.path = path;
        this.base = base;
        this.length = length;
        this.writable = writable;
        this.context = context;
    }

    /**
     * Opens a file of the caller's (an upload's input) for reading: a regular file, or a block
     * device; its first {@code maxLength} bytes, or all of it when {@code maxLength} is -1 or
     * more than it holds.
     */
    public static FdChannel openForReading(Path file, long maxLength, IoContext context) {
        boolean device;
        try {
            device = Libc.instance().statx(file, true).isBlockDevice();
        } catch (NativeCallException e) {
            device = false; // open() below says what is wrong
        }
        if (!device) {
            return FileRangeChannel.openForReading(file, maxLength, context);
        }
        DeviceRangeChannel all = DeviceRangeChannel.open(file, 0, -1, false, context);
        if (maxLength < 0 || maxLength >= all.size()) {
            return all;
        }
        all.close();
        return DeviceRangeChannel.open(file, 0, maxLength, false, context);
    }

    /** The file or device, for messages. */
    public Path path() {
        return path;
    }

    /** Where the range starts on the medium. */
    public long base() {
        return base;
    }

    public IoContext context() {
        return context;
    }

    // ---- positional (engine) side -----------------------------------------------------------

    @Override
    public long size() {
        return length;
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        if (offset >= length) {
            return -1;
        }
        int want = (int) Math.min(dst.remaining(), length - offset);
        if (want == 0) {
            return 0;
        }
        ByteBuffer slice = dst.slice(dst.position(), want);
        int n;
        try {
            n = libc.pread(fd, slice, base + offset);
        } catch (NativeCallException e) {
            throw context.failure("read " + want + " bytes at byte " + offset + " of " + path, e);
        }
        if (n == 0) {
            return -1; // the medium is shorter than the range (a file shrank under us)
        }
        dst.position(dst.position() + n);
        return n;
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        requireWritable();
        int n = src.remaining();
        requireRoom(offset, n);
        MemorySegment bytes = inNativeMemory(src);
        long done = 0;
        try {
            while (done < n) {
                done += libc.pwrite(fd, bytes.asSlice(done), base + offset + done);
            }
        } catch (NativeCallException e) {
            throw context.failure("write " + n + " bytes at byte " + (offset + done) + " of " + path, e);
        }
        src.position(src.position() + n);
        written = true;
        wrote(offset + n);
    }

    /** Called after bytes up to {@code end} (relative) were written or zeroed. */
    void wrote(long end) {
    }

    /** Writes zeros over {@code [offset, offset + length)}, the fallback of every cheaper way. */
    void writeZeros(long offset, long count) {
        ByteBuffer zeros = ZEROS.duplicate();
        long done = 0;
        while (done < count) {
            context.checkInterrupt("writing zeros to " + path);
            int n = (int) Math.min(zeros.capacity(), count - done);
            write(offset + done, zeros.clear().limit(n));
            done += n;
        }
    }

    /** Never written (only duplicated and read): the zeros every fallback writes. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20);

    void requireRoom(long offset, long count) {
        if (offset < 0 || count > length - offset) {
            throw context.failure(ErrorCode.INVALID_ARGUMENT, "Writing " + count + " bytes at byte " + offset
                    + " would pass the end of the upload, which may write " + length + " bytes from byte " + base
                    + " of " + path + ".");
        }
    }

    void requireWritable() {
        if (!writable) {
            throw context.failure(ErrorCode.INTERNAL_ERROR, path + " was opened for reading only.");
        }
    }

    /** pwrite wants native memory: heap bytes are staged in one reused native buffer. */
    private MemorySegment inNativeMemory(ByteBuffer src) {
        MemorySegment bytes = MemorySegment.ofBuffer(src);
        if (bytes.isNative()) {
            return bytes;
        }
        if (staging == null || staging.byteSize() < bytes.byteSize()) {
            staging = java.lang.foreign.Arena.ofAuto().allocate(Math.max(bytes.byteSize(), 64 << 10), BLOCK);
        }
        return staging.asSlice(0, bytes.byteSize()).copyFrom(bytes);
    }

    // ---- channel (API) side -------------------------------------------------------------------

    @Override
    public int read(ByteBuffer dst) throws ClosedChannelException {
        requireOpen();
        context.checkInterrupt("reading " + path + " at byte " + position);
        int n = read(position, dst);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    /**
     * Writes all of {@code src} at the position: aligned 4 KiB blocks of zeros are gathered and
     * handed to {@link #zero} as one range when data follows or the channel closes.
     */
    @Override
    public int write(ByteBuffer src) throws ClosedChannelException {
        requireOpen();
        requireWritable();
        context.checkInterrupt("writing " + path + " at byte " + position);
        int total = src.remaining();
        requireRoom(position, total);
        ByteBuffer bytes = src.slice();
        int done = 0;
        while (done < total) {
            // Up to the next block boundary of the medium, so that zero blocks are its blocks.
            int n = (int) Math.min(BLOCK - Math.floorMod(base + position, BLOCK), total - done);
            ByteBuffer piece = bytes.slice(done, n);
            if (n == BLOCK && CopyEngine.isZero(piece)) {
                if (zeroStart < 0) {
                    zeroStart = position;
                }
            } else {
                flushZeros();
                write(position, piece);
            }
            position += n;
            done += n;
        }
        src.position(src.position() + total);
        return total;
    }

    private void flushZeros() {
        if (zeroStart >= 0) {
            long start = zeroStart;
            zeroStart = -1;
            zero(start, position - start);
        }
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws ClosedChannelException {
        requireOpen();
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position " + newPosition);
        }
        flushZeros();
        position = newPosition;
        return this;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw context.failure(ErrorCode.OPERATION_UNSUPPORTED,
                "A volume's channel cannot be truncated; resize the volume instead.");
    }

    @Override
    public boolean isOpen() {
        return open && fd.isOpen();
    }

    void requireOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    /** Finishes a written channel (the pending zero run, then what the medium needs) and closes it. */
    @Override
    public void close() {
        if (!isOpen()) {
            open = false;
            return;
        }
        open = false;
        try {
            if (writable) {
                flushZeros();
                finish();
            }
        } finally {
            if (ownsFd) {
                fd.close();
            }
        }
    }

    /** What closing a written channel does besides closing the descriptor. */
    abstract void finish();

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + path + " bytes " + base + "+" + length + "]";
    }
}
