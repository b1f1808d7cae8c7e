package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.libstorage.bindings.libc.libc_h;
import org.junit.jupiter.api.io.TempDir;

class LibcTest {
    private static final int MIB = 1 << 20;
    private final Libc libc = Libc.instance();

    @TempDir
    Path dir;

    /** The calls linked by name (not through jextract's accessors) have jextract's signatures. */
    @Test
    void descriptorsLinkedByNameAreJextractsOwn() {
        var jextract = java.util.Map.ofEntries(
                java.util.Map.entry("close", libc_h.close$descriptor()),
                java.util.Map.entry("copy_file_range", libc_h.copy_file_range$descriptor()),
                java.util.Map.entry("fallocate", libc_h.fallocate$descriptor()),
                java.util.Map.entry("fchmod", libc_h.fchmod$descriptor()),
                java.util.Map.entry("fchown", libc_h.fchown$descriptor()),
                java.util.Map.entry("fdatasync", libc_h.fdatasync$descriptor()),
                java.util.Map.entry("flock", libc_h.flock$descriptor()),
                java.util.Map.entry("fstatvfs", libc_h.fstatvfs$descriptor()),
                java.util.Map.entry("fsync", libc_h.fsync$descriptor()),
                java.util.Map.entry("ftruncate", libc_h.ftruncate$descriptor()),
                java.util.Map.entry("ioctl:long", libc_h.ioctl.makeInvoker(libc_h.C_LONG).descriptor()),
                java.util.Map.entry("ioctl:pointer", libc_h.ioctl.makeInvoker(libc_h.C_POINTER).descriptor()),
                java.util.Map.entry("lseek", libc_h.lseek$descriptor()),
                java.util.Map.entry("mkdirat", libc_h.mkdirat$descriptor()),
                java.util.Map.entry("open", libc_h.open.makeInvoker(libc_h.C_INT).descriptor()),
                java.util.Map.entry("openat", libc_h.openat.makeInvoker(libc_h.C_INT).descriptor()),
                java.util.Map.entry("pread", libc_h.pread$descriptor()),
                java.util.Map.entry("pwrite", libc_h.pwrite$descriptor()),
                java.util.Map.entry("read", libc_h.read$descriptor()),
                java.util.Map.entry("renameat2", libc_h.renameat2$descriptor()),
                java.util.Map.entry("statvfs", libc_h.statvfs$descriptor()),
                java.util.Map.entry("statx", libc_h.statx$descriptor()),
                java.util.Map.entry("unlinkat", libc_h.unlinkat$descriptor()),
                java.util.Map.entry("write", libc_h.write$descriptor()));
        assertEquals(jextract, Libc.DESCRIPTORS);
    }

    @Test
    void openOfAMissingFileReportsEnoentWithFunctionAndLibrary() {
        NativeCallException e = assertThrows(NativeCallException.class,
                () -> libc.open(dir.resolve("missing"), Libc.O_RDONLY, 0));
        assertEquals("libc.so.6", e.library());
        assertEquals("open", e.function());
        assertEquals(2, e.errno());
        assertEquals("ENOENT", e.errnoName());
        assertEquals("No such file or directory", e.libraryMessage().orElseThrow());
        assertEquals("libc.so.6: open() failed with ENOENT (2): No such file or directory", e.getMessage());
    }

    @Test
    void exclusiveCreateOfAnExistingFileReportsEexist() throws Exception {
        Path file = Files.createFile(dir.resolve("taken"));
        NativeCallException e = assertThrows(NativeCallException.class,
                () -> libc.open(file, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL, 0644));
        assertEquals("EEXIST", e.errnoName());
    }

    @Test
    void errnoNamesAndMessagesComeFromTheCLibrary() {
        assertEquals("ENOSPC", libc.errnoName(Libc.ENOSPC));
        assertEquals("EOPNOTSUPP", libc.errnoName(95));
        assertEquals("EXDEV", libc.errnoName(Libc.EXDEV));
        assertEquals("errno 4095", libc.errnoName(4095));
        assertEquals("Permission denied", libc.strerror(Libc.EACCES));
    }

    @Test
    void aClosedDescriptorIsClosedOnceAndCannotBeUsed() {
        Fd fd = libc.open(dir.resolve("f"), Libc.O_RDWR | Libc.O_CREAT, 0600);
        fd.close();
        fd.close();
        assertFalse(fd.isOpen());
        assertThrows(IllegalStateException.class, fd::value);
        assertThrows(IllegalStateException.class, () -> libc.fsync(fd));
    }

    @Test
    void statxOfASparseFileReportsSizeAndAllocationSeparately() throws Exception {
        Path file = dir.resolve("sparse");
        try (Fd fd = libc.open(file, Libc.O_RDWR | Libc.O_CREAT, 0640)) {
            libc.ftruncate(fd, 64L * MIB);
            libc.pwrite(fd, ByteBuffer.wrap(new byte[4096]), 0);
            Stat stat = libc.statx(fd);
            assertEquals(64L * MIB, stat.size());
            assertTrue(stat.allocatedBytes() >= 4096 && stat.allocatedBytes() < MIB,
                    "allocated " + stat.allocatedBytes());
            assertTrue(stat.isRegularFile());
            assertEquals(0640, stat.permissions());
            assertEquals(libc.geteuid(), stat.uid());
            assertEquals(Files.getAttribute(file, "unix:ino"), stat.inode());
            assertEquals(Files.getLastModifiedTime(file).toInstant(), stat.mtime());
        }
    }

    @Test
    void statxOfAPathCanDescribeASymlinkOrItsTarget() throws Exception {
        Path target = Files.createDirectory(dir.resolve("target"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertTrue(libc.statx(link, false).isSymlink());
        assertTrue(libc.statx(link, true).isDirectory());
        assertEquals("ENOENT", assertThrows(NativeCallException.class,
                () -> libc.statx(dir.resolve("nothing"), true)).errnoName());
        assertTrue(libc.statxIfPresent(link, false).orElseThrow().isSymlink());
        assertTrue(libc.statxIfPresent(dir.resolve("nothing"), false).isEmpty(), "absence is an answer, not an error");
        Path file = dir.resolve("file");
        assertEquals("ENOTDIR", assertThrows(NativeCallException.class, () -> {
            Files.createFile(file);
            libc.statxIfPresent(file.resolve("below"), false);
        }).errnoName(), "other failures still throw");
    }

    @Test
    void punchingAHoleFreesBlocksAndSeekFindsTheHole() {
        try (Fd fd = libc.open(dir.resolve("holes"), Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.fallocate(fd, 0, 0, 4L * MIB);
            long before = libc.statx(fd).allocatedBytes();
            assertEquals(4L * MIB, libc.statx(fd).size());
            libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, MIB, MIB);
            writeData(fd, 0, MIB);
            writeData(fd, 2L * MIB, 2L * MIB);

            assertEquals(before - MIB, libc.statx(fd).allocatedBytes());
            assertEquals(4L * MIB, libc.statx(fd).size());
            assertEquals(OptionalLong.of(0), libc.seekData(fd, 0));
            assertEquals(OptionalLong.of(MIB), libc.seekHole(fd, 0));
            assertEquals(OptionalLong.of(2L * MIB), libc.seekData(fd, MIB));
            assertEquals(OptionalLong.of(4L * MIB), libc.seekHole(fd, 2L * MIB), "end of file is a hole");
            assertEquals(OptionalLong.empty(), libc.seekData(fd, 4L * MIB), "nothing after the end");
        }
    }

    @Test
    void copyFileRangeCopiesBytesAtExplicitOffsets() {
        byte[] data = new byte[MIB + 123];
        new Random(42).nextBytes(data);
        try (Fd in = libc.open(dir.resolve("in"), Libc.O_RDWR | Libc.O_CREAT, 0600);
             Fd out = libc.open(dir.resolve("out"), Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.pwrite(in, ByteBuffer.wrap(data), 0);
            long copied = 0;
            while (copied < data.length) {
                long n = libc.copyFileRange(in, copied, out, 4096 + copied, data.length - copied);
                assertTrue(n > 0);
                copied += n;
            }
            assertEquals(0, libc.copyFileRange(in, data.length, out, 0, 10), "0 at end of input");
            assertEquals(4096L + data.length, libc.statx(out).size());
            ByteBuffer back = ByteBuffer.allocateDirect(data.length);
            assertEquals(data.length, libc.pread(out, back, 4096));
            byte[] read = new byte[data.length];
            back.flip().get(read);
            assertArrayEquals(data, read);
        }
    }

    @Test
    void ficloneEitherSharesTheExtentsOrSaysTheFilesystemCannot() {
        byte[] data = "reflink me".getBytes();
        try (Fd src = libc.open(dir.resolve("src"), Libc.O_RDWR | Libc.O_CREAT, 0600);
             Fd dest = libc.open(dir.resolve("dest"), Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.pwrite(src, ByteBuffer.wrap(data), 0);
            try {
                libc.ficlone(dest, src);
                assertEquals(data.length, libc.statx(dest).size());
            } catch (NativeCallException e) {
                assertEquals("ioctl(FICLONE)", e.function());
                assertTrue(e.errno() == Libc.EOPNOTSUPP || e.errno() == Libc.EXDEV || e.errno() == Libc.EINVAL,
                        "a filesystem without reflinks says so: " + e.getMessage());
            }
        }
    }

    @Test
    void readAndWriteMoveThroughNativeSegments() {
        try (Fd fd = libc.open(dir.resolve("rw"), Libc.O_RDWR | Libc.O_CREAT | Libc.O_TRUNC, 0600);
             Arena arena = Arena.ofConfined()) {
            MemorySegment hello = arena.allocateFrom("hello");
            assertEquals(6, libc.write(fd, hello));
            MemorySegment back = arena.allocate(6);
            assertEquals(6, libc.pread(fd, back, 0));
            assertEquals("hello", back.getString(0));
            assertEquals(0, libc.read(fd, back), "the position is at the end after write");
            libc.fdatasync(fd);
            libc.fsync(fd);
        }
    }

    @Test
    void statvfsDescribesTheFilesystem() {
        Statvfs fs = libc.statvfs(dir);
        assertTrue(fs.totalBytes() > 0);
        assertTrue(fs.freeBytes() <= fs.totalBytes());
        assertTrue(fs.availableBytes() <= fs.freeBytes());
        assertTrue(fs.blockSize() > 0 && fs.fragmentSize() > 0);
        assertFalse(fs.readOnly());
        try (Fd d = libc.open(dir, Libc.O_RDONLY | Libc.O_DIRECTORY, 0)) {
            assertEquals(fs.totalBytes(), libc.statvfs(d).totalBytes());
        }
    }

    @Test
    void flockExcludesAnotherOpenFileDescription() {
        Path file = dir.resolve("lock");
        try (Fd first = libc.open(file, Libc.O_RDWR | Libc.O_CREAT, 0600);
             Fd second = libc.open(file, Libc.O_RDWR, 0)) {
            libc.flock(first, Libc.LOCK_EX);
            assertFalse(libc.tryFlock(second, Libc.LOCK_EX));
            NativeCallException e = assertThrows(NativeCallException.class,
                    () -> libc.flock(second, Libc.LOCK_SH | Libc.LOCK_NB));
            assertEquals("EAGAIN", e.errnoName());
            libc.flock(first, Libc.LOCK_UN);
            assertTrue(libc.tryFlock(second, Libc.LOCK_SH));
        }
    }

    @Test
    void directoryRelativeCallsCreateRenameAndRemove() {
        try (Fd d = libc.open(dir, Libc.O_RDONLY | Libc.O_DIRECTORY, 0)) {
            libc.mkdirAt(d, "sub", 0750);
            assertTrue(libc.statx(dir.resolve("sub"), false).isDirectory());
            assertEquals(0750, libc.statxAt(d, "sub", false).permissions());
            try (Fd f = libc.openAt(d, "a", Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL, 0600)) {
                libc.fchmod(f, 0604);
                assertEquals(0604, libc.statx(f).permissions());
                libc.fchown(f, libc.geteuid(), libc.getgid());
            }
            libc.openAt(d, "b", Libc.O_RDWR | Libc.O_CREAT, 0600).close();
            assertEquals("EEXIST", assertThrows(NativeCallException.class,
                    () -> libc.renameAt(d, "a", d, "b", Libc.RENAME_NOREPLACE)).errnoName());
            libc.renameAt(d, "a", d, "c", Libc.RENAME_NOREPLACE);
            assertTrue(Files.exists(dir.resolve("c")));
            libc.unlinkAt(d, "c", 0);
            libc.unlinkAt(d, "sub", Libc.AT_REMOVEDIR);
            assertFalse(Files.exists(dir.resolve("c")));
            assertFalse(Files.exists(dir.resolve("sub")));
            assertThrows(IllegalArgumentException.class, () -> libc.openAt(d, "x\0y", Libc.O_RDONLY, 0));
        }
    }

    @Test
    void blockDeviceIoctlsOnARegularFileAreRefused() {
        try (Fd fd = libc.open(dir.resolve("notadevice"), Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            NativeCallException e = assertThrows(NativeCallException.class, () -> libc.blockDeviceSize(fd));
            assertEquals("ioctl(BLKGETSIZE64)", e.function());
            assertEquals("ENOTTY", e.errnoName());
        }
    }

    @Test
    void makedevRoundTripsMajorAndMinor() {
        long dev = Stat.makedev(259, 70000);
        assertEquals(259, Stat.major(dev));
        assertEquals(70000, Stat.minor(dev));
        assertEquals(0x0801L, Stat.makedev(8, 1));
    }

    private void writeData(Fd fd, long offset, long length) {
        ByteBuffer block = ByteBuffer.allocateDirect(64 * 1024);
        for (long at = offset; at < offset + length; at += block.capacity()) {
            block.clear();
            while (block.hasRemaining()) {
                block.put((byte) 0x5a);
            }
            block.flip();
            libc.pwrite(fd, block, at);
        }
    }
}
