package org.libstorage.backends.iscsi;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.SplittableRandom;
import org.libstorage.ErrorCode;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.WipeAlgorithm;
import org.libstorage.nativelib.Iscsi;
import org.libstorage.nativelib.IscsiException;

/**
 * Wipes one LUN in large chunks: zeros with WRITE SAME(16) (falling back to WRITE(16) of zeros
 * when the LUN lacks it), random data with WRITE(16), TRIM with UNMAP where the Logical Block
 * Provisioning VPD page says the LUN supports it. Checks for interrupt between chunks.
 */
final class LunWipe {
    /** Blocks per WRITE SAME / UNMAP when the LUN reports no limit: 32 MiB of 512-byte blocks. */
    private static final long DEFAULT_CHUNK_BLOCKS = 1L << 16;

    private final Iscsi.Session session;
    private final int lun;
    private final Iscsi.Capacity capacity;
    private final String object;
    private final String where;

    LunWipe(Iscsi.Session session, int lun, Iscsi.Capacity capacity, String object, String where) {
        this.session = session;
        this.lun = lun;
        this.capacity = capacity;
        this.object = object;
        this.where = where;
    }

    void run(WipeAlgorithm algorithm, ProgressListener progress) {
        Optional<Iscsi.BlockLimits> limits = call(() -> session.blockLimits(lun));
        switch (algorithm) {
            case ZERO -> zero(limits, progress);
            case RANDOM -> writeAll(true, progress);
            case TRIM -> trim(limits, progress);
        }
    }

    private void zero(Optional<Iscsi.BlockLimits> limits, ProgressListener progress) {
        long chunk = limit(limits.map(Iscsi.BlockLimits::maxWriteSameBlocks).orElse(0L));
        long blocks = capacity.blocks();
        for (long lba = 0; lba < blocks; ) {
            checkInterrupt();
            int count = (int) Math.min(chunk, blocks - lba);
            try {
                session.writeSameZero16(lun, lba, count, capacity.blockLength(), false);
            } catch (IscsiException e) {
                if (lba == 0 && e.scsiStatus().map(IscsiException.ScsiStatus::unsupportedCommand).orElse(false)) {
                    writeAll(false, progress);
                    return;
                }
                throw IscsiErrors.map(e, object, "vol-wipe", where);
            }
            lba += count;
            progress.progress(lba * capacity.blockLength(), capacity.bytes());
        }
    }

    private void trim(Optional<Iscsi.BlockLimits> limits, ProgressListener progress) {
        Optional<Iscsi.Provisioning> provisioning = call(() -> session.provisioning(lun));
        if (provisioning.isEmpty() || !provisioning.get().unmap()) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, "vol-wipe", where
                    + " does not support UNMAP (its Logical Block Provisioning VPD page "
                    + (provisioning.isEmpty() ? "is missing" : "has LBPU=0") + "); wipe with zeros instead.");
        }
        long chunk = limit(limits.map(Iscsi.BlockLimits::maxUnmapBlocks).orElse(0L));
        long blocks = capacity.blocks();
        for (long lba = 0; lba < blocks; ) {
            checkInterrupt();
            int count = (int) Math.min(chunk, blocks - lba);
            long start = lba;
            call(() -> {
                session.unmap(lun, start, count);
                return null;
            });
            lba += count;
            progress.progress(lba * capacity.blockLength(), capacity.bytes());
        }
    }

    private void writeAll(boolean random, ProgressListener progress) {
        int blockSize = capacity.blockLength();
        ByteBuffer data = ByteBuffer.allocateDirect(Iscsi.MAX_TRANSFER_BYTES / blockSize * blockSize);
        SplittableRandom rng = new SplittableRandom();
        long total = capacity.bytes();
        for (long offset = 0; offset < total; ) {
            checkInterrupt();
            int length = (int) Math.min(data.capacity(), total - offset);
            data.clear().limit(length);
            if (random) {
                for (int i = 0; i + 8 <= length; i += 8) {
                    data.putLong(i, rng.nextLong());
                }
            }
            long lba = offset / blockSize;
            call(() -> {
                session.write16(lun, lba, blockSize, data);
                return null;
            });
            offset += length;
            progress.progress(offset, total);
        }
    }

    private static long limit(long reported) {
        return reported > 0 ? Math.min(reported, Integer.MAX_VALUE) : DEFAULT_CHUNK_BLOCKS;
    }

    private void checkInterrupt() {
        if (Thread.interrupted()) {
            throw new StorageException(ErrorCode.CANCELLED, object, "vol-wipe", "Wiping " + where + " was interrupted.");
        }
    }

    private <T> T call(java.util.function.Supplier<T> call) {
        return IscsiDirectDriver.call(call, object, "vol-wipe", where);
    }
}
