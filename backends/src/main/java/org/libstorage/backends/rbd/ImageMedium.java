package org.libstorage.backends.rbd;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.libstorage.backends.blockio.DataSink;
import org.libstorage.backends.blockio.DataSource;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Rbd;

/**
 * An open image as a medium of the shared copy and wipe engines: reads with {@code rbd_read2},
 * writes with {@code rbd_write2} (synchronous: acknowledged by the OSDs when it returns), zeros
 * with {@code rbd_write_zeroes} (which drops whole objects) and discards with
 * {@code rbd_discard}. A medium made for an image just created knows it reads as zeros, so
 * zeroing it costs nothing. Closing it closes the image.
 */
final class ImageMedium implements DataSource, DataSink {
    private final Rbd.Image image;
    private final long size;
    private final boolean fresh;
    private final IoContext context;
    private final String monitors;

    ImageMedium(Rbd.Image image, long size, boolean fresh, IoContext context, String monitors) {
        this.image = image;
        this.size = size;
        this.fresh = fresh;
        this.context = context;
        this.monitors = monitors;
    }

    @Override
    public long size() {
        return size;
    }

    private RuntimeException failure(NativeCallException e) {
        return RbdErrors.map(e, context.object(), context.operation(), monitors);
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        if (offset >= size) {
            return -1;
        }
        int want = (int) Math.min(Math.min(dst.remaining(), ImageChannel.CHUNK), size - offset);
        try {
            long n;
            if (dst.isDirect()) {
                n = image.read(offset, MemorySegment.ofBuffer(dst).asSlice(0, want));
            } else {
                ByteBuffer staging = ByteBuffer.allocateDirect(want);
                n = image.read(offset, MemorySegment.ofBuffer(staging));
                dst.put(dst.position(), staging, 0, (int) n);
            }
            if (n == 0) {
                return -1;
            }
            dst.position(dst.position() + (int) n);
            return (int) n;
        } catch (NativeCallException e) {
            throw failure(e);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        try {
            while (src.hasRemaining()) {
                int n = Math.min(src.remaining(), ImageChannel.CHUNK);
                ByteBuffer chunk = src.slice(src.position(), n);
                if (!chunk.isDirect()) {
                    ByteBuffer direct = ByteBuffer.allocateDirect(n);
                    direct.put(chunk).flip();
                    chunk = direct;
                }
                image.write(offset, MemorySegment.ofBuffer(chunk));
                src.position(src.position() + n);
                offset += n;
            }
        } catch (NativeCallException e) {
            throw failure(e);
        }
    }

    @Override
    public void zero(long offset, long length) {
        if (fresh) {
            return; // a new image reads as zeros, and the engines never zero what they wrote
        }
        try {
            image.writeZeroes(offset, length);
        } catch (NativeCallException e) {
            throw failure(e);
        }
    }

    @Override
    public void discard(long offset, long length) {
        try {
            image.discard(offset, length);
        } catch (NativeCallException e) {
            throw failure(e);
        }
    }

    @Override
    public long rangeChunk() {
        return 64L << 20;
    }

    @Override
    public void flush() {
        try {
            image.flush();
        } catch (NativeCallException e) {
            throw failure(e);
        }
    }

    @Override
    public void close() {
        image.close();
    }
}
