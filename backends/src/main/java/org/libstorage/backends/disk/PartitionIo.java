package org.libstorage.backends.disk;

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
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.hostdevices.DeviceGuard;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * Reading, writing and wiping the bytes of a volume that is a block device (a partition, an
 * iSCSI LUN): bounded to the device, and for writes and wipes refused while it is mounted or
 * held. Zeroing and discarding are offloaded to the device ({@code BLKZEROOUT},
 * {@code BLKDISCARD}). Public for the other block-device backends until the shared block data
 * path replaces it.
 */
public final class PartitionIo {
    private static final long CHUNK = 64L << 20;

    private final String object;
    private final String operation;

    public PartitionIo(String object, String operation) {
        this.object = object;
        this.operation = operation;
    }

    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        Path path = path(volume);
        long limit = range(volume, offset, length);
        FileChannel channel = open(path, StandardOpenOption.READ);
        return new Bounded(channel, offset, limit, false);
    }

    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        Path path = path(volume);
        DeviceGuard.requireUnused(DeviceGuard.requireBlockDevice(path, object, operation), object, operation);
        long limit = range(volume, offset, length);
        FileChannel channel = open(path, StandardOpenOption.WRITE);
        return new Bounded(channel, offset, limit, true);
    }

    public void wipe(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        Path path = path(volume);
        DeviceGuard.requireUnused(DeviceGuard.requireBlockDevice(path, object, operation), object, operation);
        Libc libc = Libc.instance();
        long size = volume.capacity();
        try (Fd fd = libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC, 0)) {
            ByteBuffer random = algorithm == WipeAlgorithm.RANDOM ? ByteBuffer.allocateDirect(1 << 20) : null;
            for (long done = 0; done < size; ) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new StorageException(ErrorCode.CANCELLED, object, operation,
                            "Cancelled: the wipe of " + path + " stopped at byte " + done + " of " + size + ".");
                }
                long n = Math.min(algorithm == WipeAlgorithm.RANDOM ? random.capacity() : CHUNK, size - done);
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
            throw DeviceGuard.nativeFailure(object, operation, "wipe " + path, e);
        }
    }

    private Path path(VolumeDefinition volume) {
        return volume.path().orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                "The volume '" + volume.name() + "' has no path."));
    }

    /** The end of {@code [offset, offset + length)} after checking it lies within the partition. */
    private long range(VolumeDefinition volume, long offset, long length) {
        long capacity = volume.capacity();
        long end = length < 0 ? capacity : offset + length;
        if (offset < 0 || offset > capacity || end > capacity || end < offset) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "The range at " + offset
                    + (length < 0 ? " to the end" : " of " + length + " bytes") + " does not lie within the "
                    + capacity + " bytes of " + volume.name() + ".");
        }
        return end;
    }

    private FileChannel open(Path path, StandardOpenOption mode) {
        try {
            return FileChannel.open(path, mode);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, object, operation,
                    "Could not open " + path + ": " + e.getMessage() + ".", e);
        }
    }

    /** A channel over {@code [position, limit)} of a partition; a write past the limit is refused. */
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
            ByteBuffer slice = dst.slice(dst.position(), room);
            int n = channel.read(slice, position);
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
