package org.libstorage.backends.blockio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.testing.Requirements;
import org.libstorage.nativelib.Mount;

/** The one copy engine between files, streams and a small full filesystem. */
class CopyEngineTest {
    private static final long MIB = 1L << 20;
    private static final IoContext CONTEXT = new IoContext("volume 'copy' in pool 'p'", "vol-create-from");
    private final Libc libc = Libc.instance();

    @TempDir
    Path dir;

    /** A 64 MiB sparse file holding three data extents of random bytes, one of them a run of zeros written out. */
    private Path sparseSource(String name) throws IOException {
        Path file = dir.resolve(name);
        SplittableRandom random = new SplittableRandom(42);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long at : new long[] {0, 10 * MIB + 4096, 40 * MIB}) {
                byte[] data = new byte[(int) MIB];
                random.nextBytes(data);
                out.write(ByteBuffer.wrap(data), at);
            }
            out.write(ByteBuffer.allocate((int) MIB), 50 * MIB); // written zeros: data as far as SEEK_DATA knows
            out.truncate(64 * MIB);
            out.write(ByteBuffer.wrap(new byte[] {7}), 64 * MIB - 1);
        }
        return file;
    }

    private long allocated(Path file) {
        return libc.statx(file, false).allocatedBytes();
    }

    private FileRangeChannel newCopy(Path target, long size) {
        Fd fd = libc.open(target, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL, 0600);
        return FileRangeChannel.writing(fd, target, 0, size, FileRangeChannel.Zeroing.ALREADY_ZERO, CONTEXT);
    }

    @Test
    void fileToFileKeepsEveryByteAndEveryHole() throws IOException {
        Path source = sparseSource("source");
        Path target = dir.resolve("target");
        CopyEngine.Copied copied;
        try (FdChannel in = FdChannel.openForReading(source, -1, CONTEXT); FileRangeChannel out = newCopy(target, in.size())) {
            copied = CopyEngine.copy(in, out, ProgressListener.NONE, CONTEXT);
        }
        assertEquals(64 * MIB, copied.bytes());
        assertNotEquals(CopyEngine.Strategy.BUFFERED, copied.strategy(), "two files on one filesystem need no buffer");
        assertEquals(Files.size(source), Files.size(target));
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(target));
        assertTrue(allocated(target) <= allocated(source), "holes stayed holes: " + allocated(target) + " > " + allocated(source));
    }

    @Test
    void aStreamSourceHasItsZeroBlocksLeftAsHoles() throws IOException {
        Path source = sparseSource("source");
        Path target = dir.resolve("target");
        // A plain channel: the engine knows no extents and finds the zeros itself.
        try (ReadableByteChannel stream = Channels.newChannel(Files.newInputStream(source));
             DataSource in = Streams.source(stream, Files.size(source), "a stream", CONTEXT);
             FileRangeChannel out = newCopy(target, in.size())) {
            assertEquals(CopyEngine.Strategy.BUFFERED, CopyEngine.copy(in, out, ProgressListener.NONE, CONTEXT).strategy());
        }
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(target));
        assertTrue(allocated(target) <= 3 * MIB + 64 * 1024,
                "only the 3 MiB of random data is allocated, not the written zeros: " + allocated(target));
    }

    @Test
    void progressRunsFromZeroToTheSourceSizeWithOneTotal() throws IOException {
        Path source = sparseSource("source");
        List<long[]> calls = new ArrayList<>();
        try (FdChannel in = FdChannel.openForReading(source, -1, CONTEXT);
             DataSource stream = Streams.source(Channels.newChannel(Files.newInputStream(source)), in.size(), "s", CONTEXT);
             FileRangeChannel out = newCopy(dir.resolve("target"), in.size())) {
            CopyEngine.copy(stream, out, (done, total) -> calls.add(new long[] {done, total}), CONTEXT);
        }
        assertArrayEquals(new long[] {0, 64 * MIB}, calls.getFirst());
        assertArrayEquals(new long[] {64 * MIB, 64 * MIB}, calls.getLast());
        for (int i = 1; i < calls.size(); i++) {
            assertEquals(64 * MIB, calls.get(i)[1], "one total throughout");
            assertTrue(calls.get(i)[0] >= calls.get(i - 1)[0], "never backwards");
        }
        assertTrue(calls.size() > 10, "reported along the way, not only at the ends: " + calls.size());
    }

    @Test
    void anInterruptStopsTheCopyWithCancelledAndKeepsTheStatus() throws IOException {
        Path source = sparseSource("source");
        Path target = dir.resolve("target");
        try (FdChannel in = FdChannel.openForReading(source, -1, CONTEXT);
             DataSource stream = Streams.source(Channels.newChannel(Files.newInputStream(source)), in.size(), "s", CONTEXT);
             FileRangeChannel out = newCopy(target, in.size())) {
            long[] last = {0};
            StorageException e = assertThrows(StorageException.class, () -> CopyEngine.copy(stream, out, (done, total) -> {
                last[0] = done;
                if (done >= 8 * MIB) {
                    Thread.currentThread().interrupt(); // as Ctrl-C in storagectl does
                }
            }, CONTEXT));
            assertEquals(ErrorCode.CANCELLED, e.code());
            assertTrue(Thread.interrupted(), "the interrupt status stays set for the caller's clean-up");
            assertTrue(last[0] < 10 * MIB, "stopped at the next chunk, not at the end: " + last[0]);
        }
    }

    @Test
    void aFullFilesystemIsNoSpace() throws Exception {
        Requirements.requireCommand("mkfs.ext4", "e2fsprogs");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("small.img", 16 * MIB);
            LoopFixture.run("mkfs.ext4", "-q", loop.path().toString());
            Path mounted = Files.createDirectories(dir.resolve("small"));
            Mount.instance().mount(loop.path(), mounted, Optional.of("ext4"), List.of());
            // 32 MiB of random data cannot fit on 16 MiB.
            Path source = dir.resolve("random");
            byte[] data = new byte[(int) (32 * MIB)];
            new SplittableRandom(7).nextBytes(data);
            Files.write(source, data);
            Path target = mounted.resolve("copy");
            try (FdChannel in = FdChannel.openForReading(source, -1, CONTEXT); FileRangeChannel out = newCopy(target, in.size())) {
                StorageException e = assertThrows(StorageException.class,
                        () -> CopyEngine.copy(in, out, ProgressListener.NONE, CONTEXT));
                assertEquals(ErrorCode.NO_SPACE, e.code(), e::getMessage);
                assertTrue(e.getMessage().contains("full"), e.getMessage());
                assertEquals(CONTEXT.object(), e.object().orElseThrow());
            }
            Files.delete(target);
            assertFalse(Files.exists(target));
        }
    }

    @Test
    void aSinkSmallerThanTheSourceIsRefusedBeforeAnyByteMoves() throws IOException {
        Path source = sparseSource("source");
        Path target = dir.resolve("target");
        try (FdChannel in = FdChannel.openForReading(source, -1, CONTEXT); FileRangeChannel out = newCopy(target, MIB)) {
            StorageException e = assertThrows(StorageException.class,
                    () -> CopyEngine.copy(in, out, ProgressListener.NONE, CONTEXT));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        }
        assertEquals(0, Files.size(target));
    }

    @Test
    void onlyWholeAlignedZeroBlocksBecomeZeroRanges() {
        List<String> calls = new ArrayList<>();
        DataSink recorder = new DataSink() {
            @Override
            public long size() {
                return Long.MAX_VALUE;
            }

            @Override
            public void write(long offset, ByteBuffer src) {
                calls.add("write " + offset + "+" + src.remaining());
                src.position(src.limit());
            }

            @Override
            public void zero(long offset, long length) {
                calls.add("zero " + offset + "+" + length);
            }

            @Override
            public void discard(long offset, long length) {
                throw new AssertionError();
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        // At byte 1000 of the medium: 3096 bytes up to its first block boundary (zeros, but not a
        // whole block), two zero blocks, one block with a single 1 in its last byte, 100 zeros.
        ByteBuffer data = ByteBuffer.allocateDirect(3096 + 8192 + 4096 + 100);
        data.put(3096 + 8192 + 4095, (byte) 1);
        CopyEngine.writeBlocks(recorder, 1000, data);
        assertEquals(List.of("write 1000+3096", "zero 4096+8192", "write 12288+4196"), calls);
        assertFalse(data.hasRemaining());
    }

    @Test
    void zeroDetectionLooksAtEveryByte() {
        ByteBuffer block = ByteBuffer.allocateDirect(4096);
        assertTrue(CopyEngine.isZero(block));
        block.put(4095, (byte) 1);
        assertFalse(CopyEngine.isZero(block));
        assertTrue(CopyEngine.isZero(block.limit(4095)));
    }
}
