package org.libstorage.backends.iscsi;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.nativelib.Iscsi;
import org.libstorage.nativelib.IscsiException;

/**
 * Writes a LUN's bytes {@code [position, end)} with WRITE(16) in transfers of up to 1 MiB over a
 * session of its own. Data is gathered into whole blocks; a partial block at either edge is
 * completed from what the LUN holds (read-modify-write). {@link #close()} writes what is
 * gathered, then logs out.
 */
final class LunWriter implements WritableByteChannel {
    private final Iscsi.Session session;
    private final int lun;
    private final int blockSize;
    private final long end;
    private final String object;
    private final String where;
    private final ByteBuffer buffer;
    private long position;
    private long bufferStart = -1;
    private boolean open = true;

    LunWriter(Iscsi.Session session, int lun, int blockSize, long offset, long end, String object, String where) {
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
    public int write(ByteBuffer src) throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
        if (Thread.currentThread().isInterrupted()) { // the status stays set, as everywhere in blockio
            abort();
            throw new StorageException(ErrorCode.CANCELLED, object, "vol-upload", "Writing " + where + " was interrupted.");
        }
        if (src.remaining() > end - position) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, "vol-upload", "Writing " + src.remaining()
                    + " bytes at offset " + position + " goes beyond the end of the upload range (" + end + ") of "
                    + where + ".");
        }
        int written = 0;
        while (src.hasRemaining()) {
            if (bufferStart < 0 && src.isDirect() && position % blockSize == 0) {
                // Whole blocks from a direct buffer go out as they are, no staging copy.
                int n = Math.min(src.remaining(), buffer.capacity());
                n -= n % blockSize;
                if (n > 0) {
                    try {
                        session.write16(lun, position / blockSize, blockSize, src.slice(src.position(), n));
                    } catch (IscsiException e) {
                        throw IscsiErrors.map(e, object, "vol-upload", where);
                    }
                    src.position(src.position() + n);
                    position += n;
                    written += n;
                    continue;
                }
            }
            if (bufferStart < 0) {
                bufferStart = position / blockSize * blockSize;
                buffer.clear();
                if (position > bufferStart) {
                    // Unaligned start: keep the bytes before it as they are on the LUN.
                    buffer.limit(blockSize);
                    read(bufferStart, buffer);
                    buffer.clear().position((int) (position - bufferStart));
                }
            }
            int n = Math.min(src.remaining(), buffer.remaining());
            buffer.put(buffer.position(), src, src.position(), n);
            buffer.position(buffer.position() + n);
            src.position(src.position() + n);
            position += n;
            written += n;
            if (!buffer.hasRemaining()) {
                flush();
            }
        }
        return written;
    }

    private void flush() {
        if (bufferStart < 0 || buffer.position() == 0) {
            bufferStart = -1;
            return;
        }
        int length = buffer.position();
        int tail = length % blockSize;
        if (tail != 0) {
            // Unaligned end: complete the last block with what the LUN holds after it.
            ByteBuffer block = ByteBuffer.allocateDirect(blockSize);
            long lastBlock = bufferStart + length - tail;
            read(lastBlock, block);
            buffer.put(length, block, tail, blockSize - tail);
            length += blockSize - tail;
        }
        buffer.position(0).limit(length);
        try {
            session.write16(lun, bufferStart / blockSize, blockSize, buffer);
        } catch (IscsiException e) {
            throw IscsiErrors.map(e, object, "vol-upload", where);
        } finally {
            bufferStart = -1;
            buffer.clear();
        }
    }

    private void read(long offset, ByteBuffer into) {
        try {
            session.read16(lun, offset / blockSize, blockSize, into);
        } catch (IscsiException e) {
            throw IscsiErrors.map(e, object, "vol-upload", where);
        }
    }

    private void abort() {
        open = false;
        session.close();
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
        try {
            flush();
        } finally {
            abort();
        }
    }
}
