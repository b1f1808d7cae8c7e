package org.libstorage.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.spi.DelegatingChannel;

/**
 * The channels of downloads and uploads as callers get them: the driver's channel, holding the
 * volume's claim until it is closed (then the volume may be deleted, resized or wiped again).
 */
final class ClaimedChannels {
    private ClaimedChannels() {
    }

    static ReadableByteChannel readable(ReadableByteChannel channel, Claims.Held claim) {
        if (channel == null) {
            claim.close();
            throw noChannel(claim);
        }
        return new Readable(channel, claim);
    }

    /** {@code closed} runs once, after the first close that succeeds (the upload's event). */
    static WritableByteChannel writable(WritableByteChannel channel, Claims.Held claim, Runnable closed) {
        if (channel == null) {
            claim.close();
            throw noChannel(claim);
        }
        return new Writable(channel, claim, closed, new java.util.concurrent.atomic.AtomicBoolean());
    }

    private static StorageException noChannel(Claims.Held claim) {
        return new StorageException(ErrorCode.INTERNAL_ERROR, "volume '" + claim.claim().volume() + "'",
                claim.claim().operation(), "The backend opened no channel for " + claim.claim().operation() + ".");
    }

    private static void close(java.nio.channels.Channel channel, Claims.Held claim) throws IOException {
        try {
            channel.close();
        } finally {
            claim.close();
        }
    }

    private record Readable(ReadableByteChannel channel, Claims.Held claim)
            implements ReadableByteChannel, DelegatingChannel {
        @Override
        public java.nio.channels.Channel delegate() {
            return channel;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return channel.read(dst);
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            ClaimedChannels.close(channel, claim);
        }
    }

    private record Writable(WritableByteChannel channel, Claims.Held claim, Runnable closed,
                            java.util.concurrent.atomic.AtomicBoolean done)
            implements WritableByteChannel, DelegatingChannel {
        @Override
        public java.nio.channels.Channel delegate() {
            return channel;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return channel.write(src);
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            ClaimedChannels.close(channel, claim);
            if (done.compareAndSet(false, true)) {
                closed.run();
            }
        }
    }
}
