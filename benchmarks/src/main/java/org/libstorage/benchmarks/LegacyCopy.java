package org.libstorage.benchmarks;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.OptionalLong;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * The copy loops as they were before the shared engine (commit c5664c5), kept only as the
 * benchmark's baseline: the dir backend's {@code DataCopy.copyFile} (copy_file_range over data
 * extents) and {@code copyStream} (1 MiB reads, 64 KiB zero blocks compared a long at a time,
 * left as holes), and the disk backend's {@code createVolumeFrom} loop (every byte written,
 * zeros included). Error mapping and progress are left out: they cost nothing measurable.
 */
final class LegacyCopy {
    private static final long RANGE_CHUNK = 64L << 20;
    private static final int BUFFER_BYTES = 1 << 20;
    private static final int ZERO_BLOCK = 64 << 10;

    private final Libc libc = Libc.instance();

    /** Old DataCopy.copyFile without the reflink attempt (these filesystems have none). */
    void copyFile(Fd src, Fd dest, long size) {
        libc.ftruncate(dest, size);
        boolean rangeCopy = true;
        long position = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = null;
            while (position < size) {
                OptionalLong data = libc.seekData(src, position);
                if (data.isEmpty() || data.getAsLong() >= size) {
                    break;
                }
                long start = data.getAsLong();
                long end = Math.min(size, libc.seekHole(src, start).orElse(size));
                long offset = start;
                while (offset < end) {
                    long n;
                    if (rangeCopy) {
                        try {
                            n = libc.copyFileRange(src, offset, dest, offset, Math.min(RANGE_CHUNK, end - offset));
                        } catch (NativeCallException e) {
                            rangeCopy = false;
                            continue;
                        }
                    } else {
                        if (buffer == null) {
                            buffer = arena.allocate(BUFFER_BYTES, 4096);
                        }
                        MemorySegment chunk = buffer.asSlice(0, Math.min(BUFFER_BYTES, end - offset));
                        n = libc.pread(src, chunk, offset);
                        if (n > 0) {
                            writeNonZero(dest, chunk.asSlice(0, n), offset);
                        }
                    }
                    if (n == 0) {
                        end = offset;
                        break;
                    }
                    offset += n;
                }
                position = end;
            }
        }
    }

    /** Old DataCopy.copyStream: a channel (a partition's) into a new file, zero blocks left as holes. */
    long copyStream(ReadableByteChannel in, Fd dest) throws IOException {
        long position = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(BUFFER_BYTES, 4096);
            ByteBuffer bytes = buffer.asByteBuffer();
            boolean end = false;
            while (!end) {
                bytes.clear();
                while (bytes.hasRemaining()) {
                    if (in.read(bytes) < 0) {
                        end = true;
                        break;
                    }
                }
                int filled = bytes.position();
                if (filled > 0) {
                    writeNonZero(dest, buffer.asSlice(0, filled), position);
                    position += filled;
                }
            }
        }
        libc.ftruncate(dest, position);
        return position;
    }

    /** Old disk createVolumeFrom: 1 MiB reads from the source, every byte written to the partition. */
    static void copyAll(ReadableByteChannel in, WritableByteChannel out, long size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        long done = 0;
        while (done < size) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), size - done));
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            done += n;
        }
        if (out instanceof FileChannel channel) {
            channel.force(false);
        }
    }

    private void writeNonZero(Fd dest, MemorySegment data, long offset) {
        long length = data.byteSize();
        for (long block = 0; block < length; block += ZERO_BLOCK) {
            long n = Math.min(ZERO_BLOCK, length - block);
            MemorySegment piece = data.asSlice(block, n);
            if (!isZero(piece)) {
                long done = 0;
                while (done < n) {
                    done += libc.pwrite(dest, piece.asSlice(done), offset + block + done);
                }
            }
        }
    }

    private static boolean isZero(MemorySegment piece) {
        long n = piece.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            if (piece.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                return false;
            }
        }
        for (; i < n; i++) {
            if (piece.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
