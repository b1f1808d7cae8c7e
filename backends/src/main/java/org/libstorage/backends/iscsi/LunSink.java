package org.libstorage.backends.iscsi;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.backends.blockio.DataSink;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.nativelib.Iscsi;
import org.libstorage.nativelib.IscsiException;

/**
 * One LUN as a medium of the shared engines (the wipe engine drives it): zeros with WRITE
 * SAME(16) (falling back to WRITE(16) of zeros when the LUN lacks it), writes with WRITE(16),
 * discard with UNMAP where the Logical Block Provisioning VPD page says the LUN supports it.
 * Ranges are whole blocks (a LUN's size is, and the engines' chunks are multiples of every
 * block size); failures map through {@link IscsiErrors} keeping the SCSI sense.
 */
final class LunSink implements DataSink {
    /** Blocks per WRITE SAME / UNMAP when the LUN reports no limit: 32 MiB of 512-byte blocks. */
    private static final long DEFAULT_CHUNK_BLOCKS = 1L << 16;

    private final Iscsi.Session session;
    private final int lun;
    private final Iscsi.Capacity capacity;
    private final IoContext context;
    private final String where;
    private final Optional<Iscsi.BlockLimits> limits;
    private boolean writeSame = true;
    private ByteBuffer zeros;

    LunSink(Iscsi.Session session, int lun, Iscsi.Capacity capacity, IoContext context, String where) {
        this.session = session;
        this.lun = lun;
        this.capacity = capacity;
        this.context = context;
        this.where = where;
        this.limits = call(() -> session.blockLimits(lun));
    }

    @Override
    public long size() {
        return capacity.bytes();
    }

    @Override
    public long rangeChunk() {
        long blocks = limit(limits.map(Iscsi.BlockLimits::maxWriteSameBlocks).orElse(0L));
        long unmapBlocks = limit(limits.map(Iscsi.BlockLimits::maxUnmapBlocks).orElse(0L));
        return Math.min(blocks, unmapBlocks) * capacity.blockLength();
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        int blockSize = capacity.blockLength();
        requireAligned(offset, src.remaining());
        int max = Iscsi.MAX_TRANSFER_BYTES / blockSize * blockSize;
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), max);
            ByteBuffer piece = src.slice(src.position(), n);
            long lba = offset / blockSize;
            call(() -> {
                session.write16(lun, lba, blockSize, piece);
                return null;
            });
            src.position(src.position() + n);
            offset += n;
        }
    }

    @Override
    public void zero(long offset, long length) {
        requireAligned(offset, length);
        int blockSize = capacity.blockLength();
        if (writeSame) {
            try {
                session.writeSameZero16(lun, offset / blockSize, (int) (length / blockSize), blockSize, false);
                return;
            } catch (IscsiException e) {
                if (!e.scsiStatus().map(IscsiException.ScsiStatus::unsupportedCommand).orElse(false)) {
                    throw IscsiErrors.map(e, context.object(), context.operation(), where);
                }
                writeSame = false; // no WRITE SAME here: write the zeros
            }
        }
        if (zeros == null) {
            zeros = ByteBuffer.allocateDirect(Iscsi.MAX_TRANSFER_BYTES / blockSize * blockSize);
        }
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(zeros.capacity(), length - done);
            write(offset + done, zeros.clear().limit(n));
            done += n;
        }
    }

    @Override
    public void discard(long offset, long length) {
        requireAligned(offset, length);
        Optional<Iscsi.Provisioning> provisioning = call(() -> session.provisioning(lun));
        if (provisioning.isEmpty() || !provisioning.get().unmap()) {
            throw context.failure(ErrorCode.OPERATION_UNSUPPORTED, where
                    + " does not support UNMAP (its Logical Block Provisioning VPD page "
                    + (provisioning.isEmpty() ? "is missing" : "has LBPU=0") + "); wipe with zeros instead.");
        }
        int blockSize = capacity.blockLength();
        long lba = offset / blockSize;
        int count = (int) (length / blockSize);
        call(() -> {
            session.unmap(lun, lba, count);
            return null;
        });
    }

    @Override
    public void flush() {
        // WRITE(16) and WRITE SAME complete on the target before they return; nothing is cached here.
    }

    @Override
    public void close() {
        // The session is the driver's.
    }

    private void requireAligned(long offset, long length) {
        int blockSize = capacity.blockLength();
        if (offset % blockSize != 0 || length % blockSize != 0) {
            throw new IllegalArgumentException("a LUN is written in whole blocks of " + blockSize + " bytes, not "
                    + length + " bytes at " + offset);
        }
    }

    private static long limit(long reported) {
        return reported > 0 ? Math.min(reported, Integer.MAX_VALUE) : DEFAULT_CHUNK_BLOCKS;
    }

    private <T> T call(java.util.function.Supplier<T> call) {
        return IscsiDirectDriver.call(call, context.object(), context.operation(), where);
    }
}
