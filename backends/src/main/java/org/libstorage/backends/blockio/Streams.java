package org.libstorage.backends.blockio;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.spi.DelegatingChannel;

/**
 * Channels as engine media. A channel that is already one ({@link FdChannel}), or the core's
 * channel around one ({@link DelegatingChannel}), is used as it is, so its holes and fast paths
 * count; any other is read or written in order: a
 * source answers "all data" (the engine finds the zeros), a sink writes zeros for
 * {@link DataSink#zero} and cannot discard. The medium owns the channel: closing it closes the
 * channel. A foreign channel's {@code IOException} becomes a {@code StorageException}
 * ({@code CANCELLED} for an interrupt), as everywhere in this package.
 */
public final class Streams {
    private Streams() {
    }

    /**
     * The bytes of {@code channel}: all of them when it is a medium already (which knows its
     * size), else its first {@code size} bytes.
     */
    public static DataSource source(ReadableByteChannel channel, long size, String name, IoContext context) {
        if (channel instanceof DataSource source) {
            return source;
        }
        if (channel instanceof DelegatingChannel wrapper && wrapper.delegate() instanceof DataSource source) {
            return new BorrowedSource(source, wrapper, context);
        }
        return new ChannelSource(channel, size, name, context);
    }

    /** {@code size} bytes written to {@code channel} from its current position. */
    public static DataSink sink(WritableByteChannel channel, long size, String name, IoContext context) {
        if (usable(channel, size)) {
            return (DataSink) channel;
        }
        if (channel instanceof DelegatingChannel wrapper && usable(wrapper.delegate(), size)) {
            return new BorrowedSink((DataSink) wrapper.delegate(), wrapper, context);
        }
        return new ChannelSink(channel, size, name, context);
    }

    private static boolean usable(Channel channel, long size) {
        return channel instanceof DataSink sink && sink.size() >= size
                && (!(channel instanceof FdChannel fd) || fd.position() == 0);
    }

    /** The medium behind a source or sink this class wrapped: what the engine's fast paths look at. */
    static Object medium(Object sourceOrSink) {
        return switch (sourceOrSink) {
            case BorrowedSource b -> b.medium();
            case BorrowedSink b -> b.medium();
            default -> sourceOrSink;
        };
    }

    private static void close(Channel owner, IoContext context) {
        try {
            owner.close();
        } catch (IOException e) {
            throw failure(context, "close the volume's channel", e);
        }
    }

    /** The driver's medium inside the core's channel: used directly, closed through the core's. */
    private record BorrowedSource(DataSource medium, Channel owner, IoContext context) implements DataSource {
        @Override
        public long size() {
            return medium.size();
        }

        @Override
        public int read(long offset, ByteBuffer dst) {
            return medium.read(offset, dst);
        }

        @Override
        public long nextData(long from) {
            return medium.nextData(from);
        }

        @Override
        public long nextHole(long from) {
            return medium.nextHole(from);
        }

        @Override
        public boolean knowsHoles() {
            return medium.knowsHoles();
        }

        @Override
        public void close() {
            Streams.close(owner, context);
        }
    }

    private record BorrowedSink(DataSink medium, Channel owner, IoContext context) implements DataSink {
        @Override
        public long size() {
            return medium.size();
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            medium.write(offset, src);
        }

        @Override
        public void zero(long offset, long length) {
            medium.zero(offset, length);
        }

        @Override
        public void discard(long offset, long length) {
            medium.discard(offset, length);
        }

        @Override
        public long rangeChunk() {
            return medium.rangeChunk();
        }

        @Override
        public void flush() {
            medium.flush();
        }

        @Override
        public void close() {
            Streams.close(owner, context);
        }
    }

    static StorageException failure(IoContext context, String action, IOException e) {
        if (e instanceof ClosedByInterruptException || e instanceof InterruptedIOException) {
            return context.failure(ErrorCode.CANCELLED, "Cancelled: the thread was interrupted while it was going to "
                    + action + ".", e);
        }
        return context.failure(ErrorCode.IO_ERROR, "Could not " + action + ": " + e.getMessage() + ".", e);
    }

    private static final class ChannelSource implements DataSource {
        private final ReadableByteChannel channel;
        private final long size;
        private final String name;
        private final IoContext context;
        private long position;

        ChannelSource(ReadableByteChannel channel, long size, String name, IoContext context) {
            this.channel = channel;
            this.size = size;
            this.name = name;
            this.context = context;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public int read(long offset, ByteBuffer dst) {
            if (offset != position) {
                throw new IllegalStateException("a channel source reads in order: asked for byte " + offset
                        + " at byte " + position);
            }
            if (position >= size) {
                return -1;
            }
            ByteBuffer slice = dst.slice(dst.position(), (int) Math.min(dst.remaining(), size - position));
            int n;
            try {
                n = channel.read(slice);
            } catch (IOException e) {
                throw failure(context, "read " + name + " at byte " + position, e);
            }
            if (n > 0) {
                dst.position(dst.position() + n);
                position += n;
            }
            return n;
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw failure(context, "close " + name, e);
            }
        }
    }

    private static final class ChannelSink implements DataSink {
        private final WritableByteChannel channel;
        private final long size;
        private final String name;
        private final IoContext context;
        private long position;

        ChannelSink(WritableByteChannel channel, long size, String name, IoContext context) {
            this.channel = channel;
            this.size = size;
            this.name = name;
            this.context = context;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            if (offset != position) {
                throw new IllegalStateException("a channel sink writes in order: asked for byte " + offset
                        + " at byte " + position);
            }
            try {
                while (src.hasRemaining()) {
                    int n = channel.write(src);
                    if (n == 0) {
                        throw context.failure(ErrorCode.NO_SPACE, name + " took no more data after "
                                + position + " bytes.");
                    }
                    position += n;
                }
            } catch (IOException e) {
                throw failure(context, "write " + name + " at byte " + position, e);
            }
        }

        @Override
        public void zero(long offset, long length) {
            ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(CopyEngine.BUFFER_BYTES, length));
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(zeros.capacity(), length - done);
                write(offset + done, zeros.clear().limit(n));
                done += n;
            }
        }

        @Override
        public void discard(long offset, long length) {
            throw context.failure(ErrorCode.OPERATION_UNSUPPORTED, name + " cannot discard (TRIM); wipe with ZERO instead.");
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw failure(context, "finish writing " + name, e);
            }
        }
    }
}
