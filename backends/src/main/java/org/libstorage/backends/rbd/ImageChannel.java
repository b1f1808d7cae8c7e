package org.libstorage.backends.rbd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Rbd;

/**
 * Bytes {@code [position, end)} of an open image, read with {@code rbd_read2} or written with
 * {@code rbd_write2}. Writes are synchronous: {@link #write} returns only after the OSDs
 * acknowledged the bytes, so what it reports as written is on the cluster. The channel owns
 * the image handle and closes it.
 */
final class ImageChannel implements ReadableByteChannel, WritableByteChannel {
    /** One librbd request at most: the default object size, so a request maps to one object. */
    static final int CHUNK = 4 << 20;

    private final Rbd.Image image;
    private final long end;
    private final String object;
    private final String operation;
    private final String monitors;
    private final Arena arena = Arena.ofShared();
    private MemorySegment staging;
    private long position;
    private boolean open = true;

    ImageChannel(Rbd.Image image, long offset, long end, String object, String operation, String monitors) {
        this.image = image;
        this.position = offset;
        this.end = end;
        this.object = object;
        this.operation = operation;
        this.monitors = monitors;
    }

    private MemorySegment staging() {
        if (staging == null) {
            staging = arena.allocate(CHUNK, 4096);
        }
        return staging;
    }

    private void checkOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.CANCELLED, object, operation,
                    "The " + operation + " of " + object + " was interrupted at byte " + position + ".");
        }
    }

    @Override
    public int read(ByteBuffer dst) throws ClosedChannelException {
        checkOpen();
        if (position >= end) {
            return -1;
        }
        int want = (int) Math.min(Math.min(dst.remaining(), CHUNK), end - position);
        if (want == 0) {
            return 0;
        }
        long n;
        try {
            if (dst.isDirect()) {
                n = image.read(position, MemorySegment.ofBuffer(dst).asSlice(0, want));
            } else {
                MemorySegment buf = staging().asSlice(0, want);
                n = image.read(position, buf);
                MemorySegment.copy(buf, 0, MemorySegment.ofBuffer(dst), 0, n);
            }
        } catch (NativeCallException e) {
            throw RbdErrors.map(e, object, operation, monitors);
        }
        if (n == 0) {
            return -1;
        }
        dst.position(dst.position() + (int) n);
        position += n;
        return (int) n;
    }

    @Override
    public int write(ByteBuffer src) throws ClosedChannelException {
        checkOpen();
        if (src.remaining() > end - position) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "Writing " + src.remaining()
                    + " bytes at offset " + position + " goes beyond the end (" + end + ") of " + object + ".");
        }
        int written = 0;
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), CHUNK);
            try {
                if (src.isDirect()) {
                    image.write(position, MemorySegment.ofBuffer(src).asSlice(0, n));
                } else {
                    MemorySegment buf = staging().asSlice(0, n);
                    MemorySegment.copy(MemorySegment.ofBuffer(src), 0, buf, 0, n);
                    image.write(position, buf);
                }
            } catch (NativeCallException e) {
                throw RbdErrors.map(e, object, operation, monitors);
            }
            src.position(src.position() + n);
            position += n;
            written += n;
            if (src.hasRemaining()) {
                checkOpen();
            }
        }
        return written;
    }

    /** Where the next byte is read or written. */
    long position() {
        return position;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        try {
            image.close();
        } finally {
            arena.close();
        }
    }
}
