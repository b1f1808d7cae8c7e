package org.libstorage.benchmarks.compare;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The bare syscall floor of {@code bin/bench compare}: the few libc calls a volume operation
 * cannot do without, made straight through FFM with no library around them (no locks, no
 * definitions, no checks). What libstorage and libvirt cost above this is their own overhead.
 * x86-64 Linux only (the struct offsets and flag values below are that ABI's).
 */
final class Floor {
    private static final int O_WRONLY = 01;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;
    private static final int SEEK_END = 2;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final long FICLONE = 0x40049409L;
    private static final int AT_FDCWD = -100;
    /** struct stat on x86-64: 144 bytes, st_size at 48, st_blocks at 64. */
    private static final long STAT_SIZE = 144;
    private static final long ST_SIZE = 48;
    private static final long ST_BLOCKS = 64;
    /** struct dirent on x86-64: d_type at 18, d_name at 19. */
    private static final long D_NAME = 19;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout ADDRESS = ValueLayout.ADDRESS;

    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(INT, ADDRESS, INT, INT), 2);
    private static final MethodHandle FTRUNCATE = handle("ftruncate", FunctionDescriptor.of(INT, INT, LONG), -1);
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(INT, INT), -1);
    private static final MethodHandle FSTATAT = handle("fstatat", FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS, INT), -1);
    private static final MethodHandle FDOPENDIR = handle("fdopendir", FunctionDescriptor.of(ADDRESS, INT), -1);
    private static final MethodHandle READDIR = handle("readdir",
            FunctionDescriptor.of(ADDRESS.withTargetLayout(java.lang.foreign.MemoryLayout.sequenceLayout(280, ValueLayout.JAVA_BYTE)), ADDRESS), -1);
    private static final MethodHandle CLOSEDIR = handle("closedir", FunctionDescriptor.of(INT, ADDRESS), -1);
    private static final MethodHandle DIRFD = handle("dirfd", FunctionDescriptor.of(INT, ADDRESS), -1);
    private static final MethodHandle IOCTL = handle("ioctl", FunctionDescriptor.of(INT, INT, LONG, INT), 2);
    private static final MethodHandle LSEEK = handle("lseek", FunctionDescriptor.of(LONG, INT, LONG, INT), -1);
    private static final MethodHandle COPY_FILE_RANGE = handle("copy_file_range",
            FunctionDescriptor.of(LONG, INT, ADDRESS, INT, ADDRESS, LONG, INT), -1);

    private Floor() {
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor, int firstVariadic) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return firstVariadic < 0 ? LINKER.downcallHandle(symbol, descriptor)
                : LINKER.downcallHandle(symbol, descriptor, Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** open(O_CREAT|O_EXCL) + ftruncate + close: the least a new sparse raw volume costs. */
    static void createSparse(Path file, long size) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toString()), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            check(fd, "open", file);
            int r = (int) FTRUNCATE.invokeExact(fd, size);
            int c = (int) CLOSE.invokeExact(fd);
            check(r, "ftruncate", file);
            check(c, "close", file);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * One directory scan (readdir) and an fstatat of each entry, reading its size and allocation:
     * what a refresh must at least do. Returns the entries' total size, for the caller to check.
     */
    static long scanAndStat(Path directory) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(directory.toString()), O_DIRECTORY | O_CLOEXEC, 0);
            check(fd, "open", directory);
            MemorySegment dir = (MemorySegment) FDOPENDIR.invokeExact(fd);
            if (dir.equals(MemorySegment.NULL)) {
                int ignored = (int) CLOSE.invokeExact(fd);
                throw new IllegalStateException("fdopendir " + directory + " failed");
            }
            long total = 0;
            long allocated = 0;
            try {
                int dfd = (int) DIRFD.invokeExact(dir);
                MemorySegment stat = arena.allocate(STAT_SIZE, 8);
                for (MemorySegment entry = (MemorySegment) READDIR.invokeExact(dir); !entry.equals(MemorySegment.NULL);
                        entry = (MemorySegment) READDIR.invokeExact(dir)) {
                    MemorySegment name = entry.asSlice(D_NAME);
                    if (name.get(ValueLayout.JAVA_BYTE, 0) == '.') {
                        continue; // ".", ".." (and hidden files, which no pool lists)
                    }
                    int r = (int) FSTATAT.invokeExact(dfd, name, stat, 0);
                    check(r, "fstatat", directory);
                    total += stat.get(LONG, ST_SIZE);
                    allocated += stat.get(LONG, ST_BLOCKS);
                }
            } finally {
                int ignored = (int) CLOSEDIR.invokeExact(dir);
            }
            return allocated < 0 ? -1 : total;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** stat(2) of one path: the floor of a lookup. Returns st_size. */
    static long stat(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stat = arena.allocate(STAT_SIZE, 8);
            int r = (int) FSTATAT.invokeExact(AT_FDCWD, arena.allocateFrom(file.toString()), stat, 0);
            check(r, "stat", file);
            return stat.get(LONG, ST_SIZE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A sparse copy as the kernel allows it at best: FICLONE (a reflink) where the filesystem
     * has it, else copy_file_range over each data extent found with SEEK_DATA/SEEK_HOLE, the
     * holes left as holes.
     */
    static void copySparse(Path source, Path target) {
        try (Arena arena = Arena.ofConfined()) {
            int in = (int) OPEN.invokeExact(arena.allocateFrom(source.toString()), O_CLOEXEC, 0);
            check(in, "open", source);
            int out = (int) OPEN.invokeExact(arena.allocateFrom(target.toString()), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            try {
                check(out, "open", target);
                if ((int) IOCTL.invokeExact(out, FICLONE, in) == 0) {
                    return;
                }
                long size = (long) LSEEK.invokeExact(in, 0L, SEEK_END);
                if (size < 0) {
                    throw new IllegalStateException("lseek " + source + " failed");
                }
                check((int) FTRUNCATE.invokeExact(out, size), "ftruncate", target);
                MemorySegment inOffset = arena.allocate(LONG);
                MemorySegment outOffset = arena.allocate(LONG);
                long position = 0;
                while (position < size) {
                    long data = (long) LSEEK.invokeExact(in, position, SEEK_DATA);
                    if (data < 0) {
                        break; // ENXIO: nothing but a hole up to the end
                    }
                    long hole = (long) LSEEK.invokeExact(in, data, SEEK_HOLE);
                    inOffset.set(LONG, 0, data);
                    outOffset.set(LONG, 0, data);
                    long left = hole - data;
                    while (left > 0) {
                        long n = (long) COPY_FILE_RANGE.invokeExact(in, inOffset, out, outOffset, left, 0);
                        if (n <= 0) {
                            throw new IllegalStateException("copy_file_range " + source + " -> " + target + " failed");
                        }
                        left -= n;
                    }
                    position = hole;
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(in);
                if (out >= 0) {
                    ignored = (int) CLOSE.invokeExact(out);
                }
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void check(int result, String call, Path path) {
        if (result < 0) {
            throw new IllegalStateException(call + " " + path + " failed");
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
