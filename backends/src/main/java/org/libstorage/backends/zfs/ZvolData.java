package org.libstorage.backends.zfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import org.libstorage.ErrorCode;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.hostdevices.DeviceGuard;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * A zvol's bytes through its block device: bounded reads and writes, wipes (zeroing and
 * discarding offloaded to the device: a zvol frees the blocks it is told to discard), and
 * filling a new zvol from another volume. Writes and wipes refuse a device that is mounted,
 * held or opened exclusively.
 */
final class ZvolData {
    private static final int BUFFER = 1 << 20;
    private static final long CHUNK = 64L << 20;

    private final String object;
    private final String operation;

    ZvolData(String object, String operation) {
        this.object = object;
        this.operation = operation;
    }

    ReadableByteChannel openRead(Path device, long capacity, long offset, long length) {
        return new Bounded(open(device, StandardOpenOption.READ), offset, end(capacity, offset, length), false);
    }

    WritableByteChannel openWrite(Path device, long capacity, long offset, long length) {
        DeviceGuard.requireUnused(DeviceGuard.requireBlockDevice(device, object, operation), object, operation);
        return new Bounded(open(device, StandardOpenOption.WRITE), offset, end(capacity, offset, length), true);
    }

    void wipe(Path device, long size, WipeAlgorithm algorithm, ProgressListener progress) {
        DeviceGuard.requireUnused(DeviceGuard.requireBlockDevice(device, object, operation), object, operation);
        Libc libc = Libc.instance();
        try (Fd fd = libc.open(device, Libc.O_RDWR | Libc.O_CLOEXEC, 0)) {
            ByteBuffer random = algorithm == WipeAlgorithm.RANDOM ? ByteBuffer.allocateDirect(BUFFER) : null;
            for (long done = 0; done < size; ) {
                cancelled(done, size, device);
                long n = Math.min(algorithm == WipeAlgorithm.RANDOM ? BUFFER : CHUNK, size - done);
                switch (algorithm) {
                    case ZERO -> libc.blockZeroOut(fd, done, n);
                    case TRIM -> libc.blockDiscard(fd, done, n);
                    case RANDOM -> {
                        byte[] bytes = new byte[(int) n];
                        ThreadLocalRandom.current().nextBytes(bytes);
                        random.clear();
                        random.put(bytes).flip();
                        while (random.hasRemaining()) {
                            libc.pwrite(fd, random, done + random.position());
                        }
                    }
                }
                done += n;
                progress.progress(done, size);
            }
            libc.fsync(fd);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(object, operation, "wipe " + device, e);
        }
    }

    /**
     * Copies {@code source} to the start of the device, skipping all-zero blocks (a new zvol
     * reads as zeros, and a block never written takes no space), then flushes it.
     */
    void fill(Path device, long capacity, ReadableByteChannel source, ProgressListener progress) {
        try (FileChannel out = open(device, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
            long position = 0;
            while (true) {
                cancelled(position, capacity, device);
                buffer.clear();
                int n = readFully(source, buffer);
                if (n <= 0) {
                    break;
                }
                if (position + n > capacity) {
                    throw new StorageException(ErrorCode.NO_SPACE, object, operation, "The source holds more than the "
                            + capacity + " bytes of " + device + ".");
                }
                buffer.flip();
                if (!isZero(buffer)) {
                    while (buffer.hasRemaining()) {
                        out.write(buffer, position + buffer.position());
                    }
                }
                position += n;
                progress.progress(position, capacity);
            }
            out.force(false);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, object, operation,
                    "Could not copy into " + device + ": " + e.getMessage() + ".", e);
        }
    }

    private static int readFully(ReadableByteChannel source, ByteBuffer buffer) throws IOException {
        int total = 0;
        while (buffer.hasRemaining()) {
            int n = source.read(buffer);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
        }
        return total;
    }

    private static boolean isZero(ByteBuffer bytes) {
        int i = bytes.position();
        for (; i + 8 <= bytes.limit(); i += 8) {
            if (bytes.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < bytes.limit(); i++) {
            if (bytes.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private void cancelled(long done, long size, Path device) {
        if (Thread.currentThread().isInterrupted()) {
            throw new StorageException(ErrorCode.CANCELLED, object, operation,
                    "Cancelled: " + operation + " of " + device + " stopped at byte " + done + " of " + size + ".");
        }
    }

    private long end(long capacity, long offset, long length) {
        long end = length < 0 ? capacity : offset + length;
        if (offset < 0 || offset > capacity || end > capacity || end < offset) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "The range at " + offset
                    + (length < 0 ? " to the end" : " of " + length + " bytes") + " does not lie within the "
                    + capacity + " bytes of the volume.");
        }
        return end;
    }

    private FileChannel open(Path device, StandardOpenOption mode) {
        try {
            return FileChannel.open(device, mode);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, object, operation,
                    "Could not open " + device + ": " + e.getMessage() + ".", e);
        }
    }

    /** A channel over {@code [position, limit)} of the device; a write past the limit is refused. */
    private static final class Bounded implements ReadableByteChannel, WritableByteChannel {
        private final FileChannel channel;
        private final long limit;
        private final boolean writing;
        private long position;

        Bounded(FileChannel channel, long position, long limit, boolean writing) {
            this.channel = channel;
            this.position = position;
            this.limit = limit;
            this.writing = writing;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (position >= limit) {
                return -1;
            }
            int room = (int) Math.min(dst.remaining(), limit - position);
            int n = channel.read(dst.slice(dst.position(), room), position);
            if (n > 0) {
                dst.position(dst.position() + n);
                position += n;
            }
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (src.remaining() > limit - position) {
                throw new IOException("writing " + src.remaining() + " bytes at " + position
                        + " would pass the end of the range (byte " + limit + ")");
            }
            int n = channel.write(src, position);
            position += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            try {
                if (writing && channel.isOpen()) {
                    channel.force(false);
                }
            } finally {
                channel.close();
            }
        }
    }
}
