package org.libstorage.backends.dir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.OptionalLong;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * Writes bytes into a file from an offset, up to a limit. Whole 4 KiB-aligned blocks of zeros
 * are not written: runs of them become holes (punched where the file held data, simply skipped
 * where it was already a hole or past its end), and the file is extended to the last byte
 * written on {@link #close()}.
 */
final class SparseWriter implements WritableByteChannel {
    private static final int BLOCK = 4096;
    private static final int PUNCH = Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE;

    private final Libc libc;
    private final Fd file;
    private final long limit;
    private final String object;
    private final String operation;
    private long position;
    private long fileSize;
    /** A run of zero blocks not yet made a hole: {@code [zeroStart, position)}, or -1. */
    private long zeroStart = -1;
    private boolean canPunch = true;
    private MemorySegment staging;

    SparseWriter(Libc libc, Fd file, long offset, long limit, long fileSize, String object, String operation) {
        this.libc = libc;
        this.file = file;
        this.position = offset;
        this.limit = limit;
        this.fileSize = fileSize;
        this.object = object;
        this.operation = operation;
    }

    @Override
    public int write(ByteBuffer src) throws ClosedChannelException {
        if (!file.isOpen()) {
            throw new ClosedChannelException();
        }
        int total = src.remaining();
        if (total > limit - position) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "Writing " + total + " bytes at byte "
                    + position + " would pass the end of the upload at byte " + limit + ".");
        }
        MemorySegment bytes = inNativeMemory(MemorySegment.ofBuffer(src));
        long done = 0;
        try {
            while (done < total) {
                // Up to the next block boundary of the file, so that zero blocks are file blocks.
                long room = BLOCK - Math.floorMod(position, BLOCK);
                long n = Math.min(room, total - done);
                MemorySegment piece = bytes.asSlice(done, n);
                if (n == BLOCK && DataCopy.isZero(piece)) {
                    if (zeroStart < 0) {
                        zeroStart = position;
                    }
                } else {
                    flushZeros();
                    writeFully(piece, position);
                }
                position += n;
                done += n;
            }
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object, operation, "write at byte " + position, e);
        }
        src.position(src.position() + total);
        return total;
    }

    /** Makes {@code [zeroStart, position)} read as zeros: nothing to do past the end or over a hole. */
    private void flushZeros() {
        if (zeroStart < 0) {
            return;
        }
        long start = zeroStart;
        long end = Math.min(position, fileSize);
        zeroStart = -1;
        if (start >= end) {
            return;
        }
        OptionalLong data = libc.seekData(file, start);
        if (data.isEmpty() || data.getAsLong() >= end) {
            return; // already a hole
        }
        if (canPunch) {
            try {
                libc.fallocate(file, PUNCH, start, end - start);
                return;
            } catch (NativeCallException e) {
                if (e.errno() != Libc.EOPNOTSUPP) {
                    throw e;
                }
                canPunch = false;
            }
        }
        DataCopy.writeZeros(libc, file, start, end - start, (d, t) -> { }, 0, 0, object, operation);
    }

    /** pwrite wants native memory: heap bytes are staged in one reused native buffer. */
    private MemorySegment inNativeMemory(MemorySegment bytes) {
        if (bytes.isNative()) {
            return bytes;
        }
        if (staging == null || staging.byteSize() < bytes.byteSize()) {
            staging = Arena.ofAuto().allocate(Math.max(bytes.byteSize(), 64 << 10), BLOCK);
        }
        return staging.asSlice(0, bytes.byteSize()).copyFrom(bytes);
    }

    private void writeFully(MemorySegment data, long offset) {
        long written = 0;
        while (written < data.byteSize()) {
            written += libc.pwrite(file, data.asSlice(written), offset + written);
        }
        fileSize = Math.max(fileSize, offset + data.byteSize());
    }

    @Override
    public boolean isOpen() {
        return file.isOpen();
    }

    /** Makes the trailing zero run a hole and extends the file to the last byte written. */
    @Override
    public void close() {
        if (!file.isOpen()) {
            return;
        }
        try {
            flushZeros();
            if (position > fileSize) {
                libc.ftruncate(file, position);
            }
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object, operation, "finish the upload at byte " + position, e);
        } finally {
            file.close();
        }
    }
}
