package org.libstorage.backends.blockio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.SplittableRandom;

/**
 * The one source of random bytes for wipes: a {@link SplittableRandom} seeded once per wipe from
 * {@link SecureRandom}. The point is destroying data, not secret noise, so a fast generator
 * filling a long at a time is right; a seed from the OS keeps two wipes from writing the same
 * bytes.
 */
final class RandomData {
    private final SplittableRandom random = new SplittableRandom(new SecureRandom().nextLong());

    /** Fills {@code buffer} from its position to its limit; the position does not move. */
    void fill(ByteBuffer buffer) {
        ByteBuffer longs = buffer.slice().order(ByteOrder.nativeOrder());
        int n = longs.remaining();
        int i = 0;
        for (; i + Long.BYTES <= n; i += Long.BYTES) {
            longs.putLong(i, random.nextLong());
        }
        for (; i < n; i++) {
            longs.put(i, (byte) random.nextInt());
        }
    }
}
