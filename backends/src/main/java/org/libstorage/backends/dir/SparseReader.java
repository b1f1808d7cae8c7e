package org.libstorage.backends.dir;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.util.OptionalLong;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * Reads a byte range of a file; ranges that {@code SEEK_DATA} says are holes are filled with
 * zeros without reading the disk. Not thread-safe, like most channels' users.
 */
final class SparseReader implements ReadableByteChannel {
    /** Never written: the source of the zeros a hole reads as. */
    private static final byte[] ZEROS = new byte[64 << 10];
    private final Libc libc;
    private final Fd file;
    private final long end;
    private final String object;
    private final String operation;
    private long position;
    /** The current extent: {@code [position, extentEnd)} is a hole when {@code inHole}, else data. */
    private long extentEnd = -1;
    private boolean inHole;

    SparseReader(Libc libc, Fd file, long offset, long end, String object, String operation) {
        this.libc = libc;
        this.file = file;
        this.position = offset;
        this.end = end;
        this.object = object;
        this.operation = operation;
    }

    @Override
    public int read(ByteBuffer dst) throws ClosedChannelException {
        if (!file.isOpen()) {
            throw new ClosedChannelException();
        }
        if (position >= end) {
            return -1;
        }
        int want = (int) Math.min(dst.remaining(), end - position);
        if (want == 0) {
            return 0;
        }
        try {
            if (position >= extentEnd) {
                findExtent();
            }
            int n = (int) Math.min(want, extentEnd - position);
            if (inHole) {
                for (int left = n; left > 0; left -= Math.min(left, ZEROS.length)) {
                    dst.put(ZEROS, 0, Math.min(left, ZEROS.length));
                }
            } else {
                ByteBuffer slice = dst.slice().limit(n);
                n = libc.pread(file, slice, position);
                if (n == 0) {
                    return -1; // the file shrank under us
                }
                dst.position(dst.position() + n);
            }
            position += n;
            return n;
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object, operation, "read at byte " + position, e);
        }
    }

    private void findExtent() {
        OptionalLong data = libc.seekData(file, position);
        if (data.isEmpty() || data.getAsLong() > position) {
            inHole = true;
            extentEnd = Math.min(end, data.orElse(end));
        } else {
            inHole = false;
            extentEnd = Math.min(end, libc.seekHole(file, position).orElse(end));
        }
    }

    @Override
    public boolean isOpen() {
        return file.isOpen();
    }

    @Override
    public void close() {
        file.close();
    }
}
