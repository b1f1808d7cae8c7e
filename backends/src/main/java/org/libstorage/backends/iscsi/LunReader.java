package org.libstorage.backends.iscsi;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.nativelib.Iscsi;
import org.libstorage.nativelib.IscsiException;

/**
 * Reads a LUN's bytes {@code [position, end)} with READ(16) in transfers of up to 1 MiB, over a
 * session of its own (closed with the channel). Any byte offset works: whole blocks are read
 * and the wanted part handed out.
 */
final class LunReader implements ReadableByteChannel {
    private final Iscsi.Session session;
    private final int lun;
    private final int blockSize;
    private final long end;
    private final String object;
    private final String where;
    private final ByteBuffer buffer;
    private long position;
    private long bufferStart = -1;
    private int bufferLength;
    private boolean open = true;

    LunReader(Iscsi.Session session, int lun, int blockSize, long offset, long end, String object, String where) {
        this.session = session;
        this.lun = lun;
        this.blockSize = blockSize;
        this.position = offset;
        this.end = end;
        this.object = object;
        this.where = where;
        this.buffer = ByteBuffer.allocateDirect(Math.max(blockSize, Iscsi.MAX_TRANSFER_BYTES / blockSize * blockSize));
    }

    @Override
    public int read(ByteBuffer dst) throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
        if (position >= end) {
            return -1;
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (Thread.currentThread().isInterrupted()) { // the status stays set, as everywhere in blockio
            close();
            throw new StorageException(ErrorCode.CANCELLED, object, "vol-download",
                    "Reading " + where + " was interrupted.");
        }
        if (dst.isDirect() && position % blockSize == 0) {
            // Whole blocks into a direct buffer: libiscsi receives them in place, no staging copy.
            long n = Math.min(Math.min(dst.remaining(), end - position), buffer.capacity());
            n -= n % blockSize;
            if (n > 0) {
                try {
                    session.read16(lun, position / blockSize, blockSize, dst.slice(dst.position(), (int) n));
                } catch (IscsiException e) {
                    throw IscsiErrors.map(e, object, "vol-download", where);
                }
                dst.position(dst.position() + (int) n);
                position += n;
                return (int) n;
            }
        }
        if (bufferStart < 0 || position < bufferStart || position >= bufferStart + bufferLength) {
            fill();
        }
        int n = (int) Math.min(dst.remaining(), Math.min(bufferStart + bufferLength, end) - position);
        dst.put(dst.position(), buffer, (int) (position - bufferStart), n);
        dst.position(dst.position() + n);
        position += n;
        return n;
    }

    private void fill() {
        long start = position / blockSize * blockSize;
        long alignedEnd = (end + blockSize - 1) / blockSize * blockSize;
        int length = (int) Math.min(buffer.capacity(), alignedEnd - start);
        buffer.clear().limit(length);
        try {
            session.read16(lun, start / blockSize, blockSize, buffer);
        } catch (IscsiException e) {
            bufferStart = -1;
            throw IscsiErrors.map(e, object, "vol-download", where);
        }
        bufferStart = start;
        bufferLength = length;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            session.close();
        }
    }
}
