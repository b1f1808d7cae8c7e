package org.libstorage.backends.blockio;

import java.nio.ByteBuffer;
import org.libstorage.ProgressListener;
import org.libstorage.WipeAlgorithm;

/**
 * The one wipe loop, over any {@link DataSink}: {@code ZERO} is {@link DataSink#zero} and
 * {@code TRIM} {@link DataSink#discard} in chunks of {@link DataSink#rangeChunk()} (each medium
 * does them its own way: fallocate on a file, {@code BLKZEROOUT}/{@code BLKDISCARD} on a device,
 * WRITE SAME/UNMAP on a LUN), {@code RANDOM} writes of 1 MiB from {@link RandomData}. Then the
 * sink is flushed. Progress is in bytes of the sink; an interrupt between chunks stops with
 * {@code CANCELLED} (part of the medium is then wiped).
 */
public final class WipeEngine {
    static final int RANDOM_CHUNK = 1 << 20;

    private WipeEngine() {
    }

    public static void wipe(DataSink sink, WipeAlgorithm algorithm, ProgressListener progress, IoContext context) {
        long size = sink.size();
        progress.progress(0, size);
        switch (algorithm) {
            case ZERO -> ranges(sink, size, false, progress, context);
            case TRIM -> ranges(sink, size, true, progress, context);
            case RANDOM -> random(sink, size, progress, context);
        }
        sink.flush();
        progress.progress(size, size);
    }

    private static void ranges(DataSink sink, long size, boolean discard, ProgressListener progress, IoContext context) {
        long chunk = sink.rangeChunk();
        for (long done = 0; done < size; ) {
            context.checkInterrupt("the wipe at byte " + done + " of " + size);
            long n = Math.min(chunk, size - done);
            if (discard) {
                sink.discard(done, n);
            } else {
                sink.zero(done, n);
            }
            done += n;
            progress.progress(done, size);
        }
    }

    private static void random(DataSink sink, long size, ProgressListener progress, IoContext context) {
        RandomData random = new RandomData();
        ByteBuffer buffer = ByteBuffer.allocateDirect(RANDOM_CHUNK);
        for (long done = 0; done < size; ) {
            context.checkInterrupt("the wipe at byte " + done + " of " + size);
            int n = (int) Math.min(RANDOM_CHUNK, size - done);
            buffer.clear().limit(n);
            random.fill(buffer);
            sink.write(done, buffer);
            done += n;
            progress.progress(done, size);
        }
    }
}
