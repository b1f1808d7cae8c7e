package org.libstorage.nativelib;

import static org.libstorage.nativelib.Downcalls.captureSegment;
import static org.libstorage.nativelib.Downcalls.capturingErrno;
import static org.libstorage.nativelib.Downcalls.capturingErrnoVariadic;
import static org.libstorage.nativelib.Downcalls.errno;
import static org.libstorage.nativelib.Downcalls.unchecked;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

import org.libstorage.bindings.libc.blkpg_ioctl_arg;
import org.libstorage.bindings.libc.blkpg_partition;
import org.libstorage.bindings.libc.libc_h;
import org.libstorage.bindings.libc.statvfs;
import org.libstorage.bindings.libc.statx;
import org.libstorage.bindings.libc.statx_timestamp;

/**
 * The C library calls libstorage needs, with errno captured per call and every failure thrown
 * as a {@link NativeCallException} naming the function, the errno and its name. Calls that the
 * kernel may interrupt with {@code EINTR} are retried. One immutable, thread-safe instance:
 * {@link #instance()}.
 *
 * <p>The public constants come from the jextract-generated header class. Reading them loads
 * {@code libc.so.6}, which the JVM itself is linked against, so that cannot fail.
 */
public final class Libc {
    /** The library name used in {@link NativeCallException#library()}. */
    public static final String SONAME = "libc.so.6";

    public static final int O_RDONLY = libc_h.O_RDONLY();
    public static final int O_WRONLY = libc_h.O_WRONLY();
    public static final int O_RDWR = libc_h.O_RDWR();
    public static final int O_ACCMODE = libc_h.O_ACCMODE();
    public static final int O_CREAT = libc_h.O_CREAT();
    public static final int O_EXCL = libc_h.O_EXCL();
    public static final int O_TRUNC = libc_h.O_TRUNC();
    public static final int O_APPEND = libc_h.O_APPEND();
    public static final int O_NOFOLLOW = libc_h.O_NOFOLLOW();
    public static final int O_DIRECTORY = libc_h.O_DIRECTORY();
    public static final int O_CLOEXEC = libc_h.O_CLOEXEC();
    public static final int O_PATH = libc_h.O_PATH();
    public static final int O_DIRECT = libc_h.O_DIRECT();
    public static final int O_SYNC = libc_h.O_SYNC();
    public static final int O_DSYNC = libc_h.O_DSYNC();
    public static final int O_NONBLOCK = libc_h.O_NONBLOCK();
    public static final int O_TMPFILE = libc_h.O_TMPFILE();
    public static final int O_NOATIME = libc_h.O_NOATIME();

    public static final int AT_FDCWD = libc_h.AT_FDCWD();
    public static final int AT_EMPTY_PATH = libc_h.AT_EMPTY_PATH();
    public static final int AT_SYMLINK_NOFOLLOW = libc_h.AT_SYMLINK_NOFOLLOW();
    public static final int AT_REMOVEDIR = libc_h.AT_REMOVEDIR();

    public static final int S_IFMT = libc_h.S_IFMT();
    public static final int S_IFREG = libc_h.S_IFREG();
    public static final int S_IFDIR = libc_h.S_IFDIR();
    public static final int S_IFBLK = libc_h.S_IFBLK();
    public static final int S_IFCHR = libc_h.S_IFCHR();
    public static final int S_IFLNK = libc_h.S_IFLNK();

    public static final int FALLOC_FL_KEEP_SIZE = libc_h.FALLOC_FL_KEEP_SIZE();
    public static final int FALLOC_FL_PUNCH_HOLE = libc_h.FALLOC_FL_PUNCH_HOLE();
    public static final int FALLOC_FL_ZERO_RANGE = libc_h.FALLOC_FL_ZERO_RANGE();
    public static final int FALLOC_FL_COLLAPSE_RANGE = libc_h.FALLOC_FL_COLLAPSE_RANGE();
    public static final int FALLOC_FL_INSERT_RANGE = libc_h.FALLOC_FL_INSERT_RANGE();

    public static final int LOCK_SH = libc_h.LOCK_SH();
    public static final int LOCK_EX = libc_h.LOCK_EX();
    public static final int LOCK_NB = libc_h.LOCK_NB();
    public static final int LOCK_UN = libc_h.LOCK_UN();

    public static final int RENAME_NOREPLACE = libc_h.RENAME_NOREPLACE();
    public static final int RENAME_EXCHANGE = libc_h.RENAME_EXCHANGE();

    public static final int ST_RDONLY = libc_h.ST_RDONLY();

    public static final int EPERM = libc_h.EPERM();
    public static final int ENOENT = libc_h.ENOENT();
    public static final int EINTR = libc_h.EINTR();
    public static final int EIO = libc_h.EIO();
    public static final int ENXIO = libc_h.ENXIO();
    public static final int EBADF = libc_h.EBADF();
    public static final int EAGAIN = libc_h.EAGAIN();
    public static final int EACCES = libc_h.EACCES();
    public static final int EBUSY = libc_h.EBUSY();
    public static final int EEXIST = libc_h.EEXIST();
    public static final int EXDEV = libc_h.EXDEV();
    public static final int ENODEV = libc_h.ENODEV();
    public static final int ENOTDIR = libc_h.ENOTDIR();
    public static final int EISDIR = libc_h.EISDIR();
    public static final int EINVAL = libc_h.EINVAL();
    public static final int ENOTTY = libc_h.ENOTTY();
    public static final int EFBIG = libc_h.EFBIG();
    public static final int ENOSPC = libc_h.ENOSPC();
    public static final int EROFS = libc_h.EROFS();
    public static final int ENOSYS = libc_h.ENOSYS();
    public static final int ENOTEMPTY = libc_h.ENOTEMPTY();
    public static final int ELOOP = libc_h.ELOOP();
    public static final int EOPNOTSUPP = libc_h.EOPNOTSUPP();
    public static final int ETIMEDOUT = libc_h.ETIMEDOUT();
    public static final int EDQUOT = libc_h.EDQUOT();

    private static final int STATX_MASK = libc_h.STATX_BASIC_STATS() | libc_h.STATX_BTIME();

    private static final class Holder {
        static final Libc INSTANCE = new Libc();
    }

    private final Map<Integer, String> errnoNames;

    private Libc() {
        errnoNames = errnoTable();
    }

    // ---- downcall handles, each linked on first use ----------------------------------------
    // Linking a downcall generates classes; a short command uses a few of these, so each is
    // linked when its holder class is first touched, not all of them when Libc is made.
    //
    // Every call is linked from the symbol's name and a descriptor of jextract's layouts rather
    // than through jextract's accessors: touching libc_h.f$address() or $descriptor() (or
    // makeInvoker) initializes a holder that links jextract's own handle too, one without errno
    // capture that is never called, so each function cost two generated stubs a process.
    // LibcTest checks each of these descriptors equals jextract's.
    private static final class Symbols {
        static final java.lang.foreign.SymbolLookup LIBC =
                java.lang.foreign.SymbolLookup.libraryLookup(SONAME, Arena.global());
    }

    private static MethodHandle libcCall(String symbol, FunctionDescriptor descriptor) {
        return capturingErrno(Symbols.LIBC.findOrThrow(symbol), descriptor);
    }

    /** Every libc call's descriptor, by symbol (ioctl's by its last argument); LibcTest compares them with jextract's. */
    static final Map<String, FunctionDescriptor> DESCRIPTORS = Map.ofEntries(
            Map.entry("close", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT)),
            Map.entry("copy_file_range", FunctionDescriptor.of(libc_h.C_LONG, libc_h.C_INT, libc_h.C_POINTER,
                    libc_h.C_INT, libc_h.C_POINTER, libc_h.C_LONG, libc_h.C_INT)),
            Map.entry("fallocate", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_INT,
                    libc_h.C_LONG, libc_h.C_LONG)),
            Map.entry("fchmod", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_INT)),
            Map.entry("fchown", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_INT, libc_h.C_INT)),
            Map.entry("fdatasync", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT)),
            Map.entry("flock", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_INT)),
            Map.entry("fstatvfs", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_POINTER)),
            Map.entry("fsync", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT)),
            Map.entry("ftruncate", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_LONG)),
            Map.entry("ioctl:long", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_LONG, libc_h.C_LONG)),
            Map.entry("ioctl:pointer", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_LONG,
                    libc_h.C_POINTER)),
            Map.entry("lseek", FunctionDescriptor.of(libc_h.C_LONG, libc_h.C_INT, libc_h.C_LONG, libc_h.C_INT)),
            Map.entry("mkdirat", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_POINTER, libc_h.C_INT)),
            Map.entry("open", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_POINTER, libc_h.C_INT, libc_h.C_INT)),
            Map.entry("openat", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_POINTER,
                    libc_h.C_INT, libc_h.C_INT)),
            Map.entry("pread", FunctionDescriptor.of(libc_h.C_LONG, libc_h.C_INT, libc_h.C_POINTER,
                    libc_h.C_LONG, libc_h.C_LONG)),
            Map.entry("pwrite", FunctionDescriptor.of(libc_h.C_LONG, libc_h.C_INT, libc_h.C_POINTER,
                    libc_h.C_LONG, libc_h.C_LONG)),
            Map.entry("read", FunctionDescriptor.of(libc_h.C_LONG, libc_h.C_INT, libc_h.C_POINTER, libc_h.C_LONG)),
            Map.entry("renameat2", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_POINTER,
                    libc_h.C_INT, libc_h.C_POINTER, libc_h.C_INT)),
            Map.entry("statvfs", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_POINTER, libc_h.C_POINTER)),
            Map.entry("statx", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_POINTER,
                    libc_h.C_INT, libc_h.C_INT, libc_h.C_POINTER)),
            Map.entry("unlinkat", FunctionDescriptor.of(libc_h.C_INT, libc_h.C_INT, libc_h.C_POINTER, libc_h.C_INT)),
            Map.entry("write", FunctionDescriptor.of(libc_h.C_LONG, libc_h.C_INT, libc_h.C_POINTER, libc_h.C_LONG)));

    private static final class OpenCall {
        static final MethodHandle H =
                capturingErrnoVariadic(Symbols.LIBC.findOrThrow("open"), DESCRIPTORS.get("open"), 2);
    }

    private static final class OpenatCall {
        static final MethodHandle H =
                capturingErrnoVariadic(Symbols.LIBC.findOrThrow("openat"), DESCRIPTORS.get("openat"), 3);
    }

    private static final class CloseCall {
        static final MethodHandle H = libcCall("close", DESCRIPTORS.get("close"));
    }

    private static final class StatxCall {
        static final MethodHandle H = libcCall("statx", DESCRIPTORS.get("statx"));
    }

    private static final class FtruncateCall {
        static final MethodHandle H = libcCall("ftruncate", DESCRIPTORS.get("ftruncate"));
    }

    private static final class FallocateCall {
        static final MethodHandle H = libcCall("fallocate", DESCRIPTORS.get("fallocate"));
    }

    private static final class LseekCall {
        static final MethodHandle H = libcCall("lseek", DESCRIPTORS.get("lseek"));
    }

    private static final class CopyFileRangeCall {
        static final MethodHandle H =
                libcCall("copy_file_range", DESCRIPTORS.get("copy_file_range"));
    }

    // ioctl(int, unsigned long, ...): one handle for pointer arguments, one for integers.
    private static final class IoctlPointerCall {
        static final MethodHandle H =
                capturingErrnoVariadic(Symbols.LIBC.findOrThrow("ioctl"), DESCRIPTORS.get("ioctl:pointer"), 2);
    }

    private static final class IoctlValueCall {
        static final MethodHandle H =
                capturingErrnoVariadic(Symbols.LIBC.findOrThrow("ioctl"), DESCRIPTORS.get("ioctl:long"), 2);
    }

    // fsync/fdatasync gain an ignored int and read/write an ignored offset, so one helper
    // invokes each family with exact types.
    private static final class FsyncCall {
        static final MethodHandle H =
                MethodHandles.dropArguments(libcCall("fsync", DESCRIPTORS.get("fsync")), 2, int.class);
    }

    private static final class FdatasyncCall {
        static final MethodHandle H =
                MethodHandles.dropArguments(libcCall("fdatasync", DESCRIPTORS.get("fdatasync")), 2, int.class);
    }

    private static final class StatvfsCall {
        static final MethodHandle H = libcCall("statvfs", DESCRIPTORS.get("statvfs"));
    }

    private static final class FstatvfsCall {
        static final MethodHandle H = libcCall("fstatvfs", DESCRIPTORS.get("fstatvfs"));
    }

    private static final class FlockCall {
        static final MethodHandle H = libcCall("flock", DESCRIPTORS.get("flock"));
    }

    private static final class PreadCall {
        static final MethodHandle H = libcCall("pread", DESCRIPTORS.get("pread"));
    }

    private static final class PwriteCall {
        static final MethodHandle H = libcCall("pwrite", DESCRIPTORS.get("pwrite"));
    }

    private static final class ReadCall {
        static final MethodHandle H =
                MethodHandles.dropArguments(libcCall("read", DESCRIPTORS.get("read")), 4, long.class);
    }

    private static final class WriteCall {
        static final MethodHandle H =
                MethodHandles.dropArguments(libcCall("write", DESCRIPTORS.get("write")), 4, long.class);
    }

    private static final class UnlinkatCall {
        static final MethodHandle H = libcCall("unlinkat", DESCRIPTORS.get("unlinkat"));
    }

    private static final class Renameat2Call {
        static final MethodHandle H = libcCall("renameat2", DESCRIPTORS.get("renameat2"));
    }

    private static final class FchmodCall {
        static final MethodHandle H = libcCall("fchmod", DESCRIPTORS.get("fchmod"));
    }

    private static final class FchownCall {
        static final MethodHandle H = libcCall("fchown", DESCRIPTORS.get("fchown"));
    }

    private static final class MkdiratCall {
        static final MethodHandle H = libcCall("mkdirat", DESCRIPTORS.get("mkdirat"));
    }

    /** The C library. */
    public static Libc instance() {
        return Holder.INSTANCE;
    }

    // ---- descriptors --------------------------------------------------------------------

    /** {@code open(2)}; {@code O_CLOEXEC} is always added so descriptors never leak into children. */
    public Fd open(Path path, int flags, int mode) {
        Objects.requireNonNull(path, "path");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = cString(arena, path.toString());
            int all = flags | O_CLOEXEC;
            return new Fd(this, (int) call(arena, "open", err -> (int) OpenCall.H.invokeExact(err, cPath, all, mode)));
        }
    }

    /** {@code openat(2)} relative to {@code dir}; {@code name} is one path, not resolved by Java. */
    public Fd openAt(Fd dir, String name, int flags, int mode) {
        Objects.requireNonNull(name, "name");
        int dirFd = dir.value();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cName = cString(arena, name);
            int all = flags | O_CLOEXEC;
            return new Fd(this, (int) call(arena, "openat", err -> (int) OpenatCall.H.invokeExact(err, dirFd, cName, all, mode)));
        }
    }

    void closeRaw(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = captureSegment(arena);
            // Never retried: on Linux the descriptor is gone even when close reports EINTR.
            if ((int) CloseCall.H.invokeExact(err, fd) < 0 && errno(err) != EINTR) {
                throw failure("close", errno(err));
            }
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    // ---- metadata -----------------------------------------------------------------------

    /** {@code statx(2)} of an open descriptor. */
    public Stat statx(Fd fd) {
        try (Arena arena = Arena.ofConfined()) {
            return statx(arena, fd.value(), arena.allocateFrom(""), AT_EMPTY_PATH);
        }
    }

    /** {@code statx(2)} of a path; with {@code followSymlinks} false a symlink describes itself. */
    public Stat statx(Path path, boolean followSymlinks) {
        Objects.requireNonNull(path, "path");
        try (Arena arena = Arena.ofConfined()) {
            return statx(arena, AT_FDCWD, cString(arena, path.toString()), followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW);
        }
    }

    /** {@code statx(2)} of {@code name} inside an open directory, so the directory cannot be swapped underneath. */
    public Stat statxAt(Fd dir, String name, boolean followSymlinks) {
        Objects.requireNonNull(name, "name");
        try (Arena arena = Arena.ofConfined()) {
            return statx(arena, dir.value(), cString(arena, name), followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW);
        }
    }

    /**
     * As {@link #statx(Path, boolean)}, but empty when nothing is at {@code path} ({@code ENOENT}):
     * a check that expects the name to be free (a new volume's) builds no exception.
     */
    public Optional<Stat> statxIfPresent(Path path, boolean followSymlinks) {
        Objects.requireNonNull(path, "path");
        try (Arena arena = Arena.ofConfined()) {
            return statx(arena, AT_FDCWD, cString(arena, path.toString()), followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW,
                    ENOENT);
        }
    }

    private Stat statx(Arena arena, int dirFd, MemorySegment cPath, int flags) {
        return statx(arena, dirFd, cPath, flags, 0).orElseThrow();
    }

    /** statx, empty when it fails with {@code answer} (0: never). */
    private Optional<Stat> statx(Arena arena, int dirFd, MemorySegment cPath, int flags, int answer) {
        MemorySegment buf = arena.allocate(statx.layout());
        if (call(arena, "statx", answer,
                err -> (int) StatxCall.H.invokeExact(err, dirFd, cPath, flags, STATX_MASK, buf)) < 0) {
            return Optional.empty();
        }
        int mask = statx.stx_mask(buf);
        Optional<Instant> btime = (mask & libc_h.STATX_BTIME()) != 0
                ? Optional.of(instant(statx.stx_btime(buf)))
                : Optional.empty();
        return Optional.of(new Stat(
                statx.stx_size(buf),
                statx.stx_blocks(buf) * 512L,
                Short.toUnsignedInt(statx.stx_mode(buf)),
                statx.stx_uid(buf),
                statx.stx_gid(buf),
                statx.stx_ino(buf),
                Stat.makedev(statx.stx_dev_major(buf), statx.stx_dev_minor(buf)),
                Stat.makedev(statx.stx_rdev_major(buf), statx.stx_rdev_minor(buf)),
                statx.stx_nlink(buf),
                instant(statx.stx_atime(buf)),
                instant(statx.stx_mtime(buf)),
                instant(statx.stx_ctime(buf)),
                btime));
    }

    private static Instant instant(MemorySegment timestamp) {
        return Instant.ofEpochSecond(statx_timestamp.tv_sec(timestamp), Integer.toUnsignedLong(statx_timestamp.tv_nsec(timestamp)));
    }

    /** {@code statvfs(3)} of the filesystem holding {@code path}. */
    public Statvfs statvfs(Path path) {
        Objects.requireNonNull(path, "path");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(statvfs.layout());
            MemorySegment cPath = cString(arena, path.toString());
            call(arena, "statvfs", err -> (int) StatvfsCall.H.invokeExact(err, cPath, buf));
            return statvfsOf(buf);
        }
    }

    /** {@code fstatvfs(3)} of the filesystem holding an open file. */
    public Statvfs statvfs(Fd fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(statvfs.layout());
            int value = fd.value();
            call(arena, "fstatvfs", err -> (int) FstatvfsCall.H.invokeExact(err, value, buf));
            return statvfsOf(buf);
        }
    }

    private static Statvfs statvfsOf(MemorySegment buf) {
        long fragment = statvfs.f_frsize(buf);
        return new Statvfs(
                statvfs.f_bsize(buf),
                fragment,
                statvfs.f_blocks(buf) * fragment,
                statvfs.f_bfree(buf) * fragment,
                statvfs.f_bavail(buf) * fragment,
                statvfs.f_files(buf),
                statvfs.f_ffree(buf),
                statvfs.f_favail(buf),
                statvfs.f_fsid(buf),
                statvfs.f_flag(buf),
                statvfs.f_namemax(buf));
    }

    public void fchmod(Fd fd, int mode) {
        checkedInt("fchmod", FchmodCall.H, fd, mode);
    }

    public void fchown(Fd fd, int uid, int gid) {
        int value = fd.value();
        call("fchown", err -> (int) FchownCall.H.invokeExact(err, value, uid, gid));
    }

    /** Sets the process umask and returns the previous one (process-wide: use with care). */
    public int umask(int mask) {
        return libc_h.umask(mask);
    }

    public int getuid() {
        return libc_h.getuid();
    }

    public int geteuid() {
        return libc_h.geteuid();
    }

    public int getgid() {
        return libc_h.getgid();
    }

    // ---- directories --------------------------------------------------------------------

    /** {@code mkdirat(2)}. */
    public void mkdirAt(Fd dir, String name, int mode) {
        Objects.requireNonNull(name, "name");
        try (Arena arena = Arena.ofConfined()) {
            int dirFd = dir.value();
            MemorySegment cName = cString(arena, name);
            call(arena, "mkdirat", err -> (int) MkdiratCall.H.invokeExact(err, dirFd, cName, mode));
        }
    }

    /** {@code unlinkat(2)}; {@code flags} is 0 or {@link #AT_REMOVEDIR}. */
    public void unlinkAt(Fd dir, String name, int flags) {
        Objects.requireNonNull(name, "name");
        try (Arena arena = Arena.ofConfined()) {
            int dirFd = dir.value();
            MemorySegment cName = cString(arena, name);
            call(arena, "unlinkat", err -> (int) UnlinkatCall.H.invokeExact(err, dirFd, cName, flags));
        }
    }

    /** {@code renameat2(2)}; {@code flags} is 0, {@link #RENAME_NOREPLACE} or {@link #RENAME_EXCHANGE}. */
    public void renameAt(Fd fromDir, String from, Fd toDir, String to, int flags) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        try (Arena arena = Arena.ofConfined()) {
            int fromFd = fromDir.value();
            int toFd = toDir.value();
            MemorySegment cFrom = cString(arena, from);
            MemorySegment cTo = cString(arena, to);
            call(arena, "renameat2", err -> (int) Renameat2Call.H.invokeExact(err, fromFd, cFrom, toFd, cTo, flags));
        }
    }

    // ---- sizes and extents --------------------------------------------------------------

    public void ftruncate(Fd fd, long length) {
        int value = fd.value();
        call("ftruncate", err -> (int) FtruncateCall.H.invokeExact(err, value, length));
    }

    /** {@code fallocate(2)}: {@code mode} 0 allocates; see the {@code FALLOC_FL_*} constants. */
    public void fallocate(Fd fd, int mode, long offset, long length) {
        int value = fd.value();
        call("fallocate", err -> (int) FallocateCall.H.invokeExact(err, value, mode, offset, length));
    }

    /** The first offset at or after {@code from} that holds data, or empty when only a hole follows. */
    public OptionalLong seekData(Fd fd, long from) {
        return seek(fd, from, libc_h.SEEK_DATA());
    }

    /**
     * The first hole at or after {@code from} (end of file counts as one), or empty when
     * {@code from} is at or past the end of the file.
     */
    public OptionalLong seekHole(Fd fd, long from) {
        return seek(fd, from, libc_h.SEEK_HOLE());
    }

    private OptionalLong seek(Fd fd, long from, int whence) {
        int value = fd.value();
        // ENXIO: no data (or hole) at or after the offset, which is an answer, not a failure.
        long pos = call("lseek", ENXIO, err -> (long) LseekCall.H.invokeExact(err, value, from, whence));
        return pos < 0 ? OptionalLong.empty() : OptionalLong.of(pos);
    }

    /**
     * {@code copy_file_range(2)} at explicit offsets (the descriptors' own positions do not
     * move). Returns the bytes copied, which may be fewer than asked; 0 means end of input.
     */
    public long copyFileRange(Fd in, long inOffset, Fd out, long outOffset, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment inOff = arena.allocateFrom(ValueLayout.JAVA_LONG, inOffset);
            MemorySegment outOff = arena.allocateFrom(ValueLayout.JAVA_LONG, outOffset);
            int inFd = in.value();
            int outFd = out.value();
            return call(arena, "copy_file_range",
                    err -> (long) CopyFileRangeCall.H.invokeExact(err, inFd, inOff, outFd, outOff, length, 0));
        }
    }

    /**
     * Makes {@code dest} share all of {@code src}'s extents ({@code FICLONE}). Filesystems
     * without reflinks fail with {@code EOPNOTSUPP} (or {@code EINVAL}, {@code EXDEV} across
     * filesystems): callers catch that and fall back to copying.
     */
    public void ficlone(Fd dest, Fd src) {
        ioctlWithValue("ioctl(FICLONE)", dest, libc_h.FICLONE(), src.value());
    }

    // ---- block devices ------------------------------------------------------------------

    /** The size in bytes of a block device ({@code BLKGETSIZE64}). */
    public long blockDeviceSize(Fd fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            ioctlWithPointer(arena, "ioctl(BLKGETSIZE64)", fd, libc_h.BLKGETSIZE64(), size);
            return size.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** The logical sector size of a block device ({@code BLKSSZGET}). */
    public int logicalSectorSize(Fd fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
            ioctlWithPointer(arena, "ioctl(BLKSSZGET)", fd, libc_h.BLKSSZGET(), size);
            return size.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Whether a block device is read-only ({@code BLKROGET}). */
    public boolean blockDeviceReadOnly(Fd fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flag = arena.allocate(ValueLayout.JAVA_INT);
            ioctlWithPointer(arena, "ioctl(BLKROGET)", fd, libc_h.BLKROGET(), flag);
            return flag.get(ValueLayout.JAVA_INT, 0) != 0;
        }
    }

    /** Discards (TRIMs) a byte range of a block device ({@code BLKDISCARD}). */
    public void blockDiscard(Fd fd, long offset, long length) {
        blockRange("ioctl(BLKDISCARD)", fd, libc_h.BLKDISCARD(), offset, length);
    }

    /** Zeroes a byte range of a block device, offloaded where the device can ({@code BLKZEROOUT}). */
    public void blockZeroOut(Fd fd, long offset, long length) {
        blockRange("ioctl(BLKZEROOUT)", fd, libc_h.BLKZEROOUT(), offset, length);
    }

    /** Asks the kernel to re-read a block device's partition table ({@code BLKRRPART}). */
    public void rereadPartitions(Fd fd) {
        ioctlWithValue("ioctl(BLKRRPART)", fd, libc_h.BLKRRPART(), 0);
    }

    /**
     * Tells the kernel about one partition of a whole disk ({@code BLKPG_ADD_PARTITION}), so
     * its device node appears. Unlike {@link #rereadPartitions} this needs no partition-table
     * parser in the kernel and works while other partitions are in use. {@code EBUSY} means
     * the number is taken or the range overlaps an existing partition.
     */
    public void addPartition(Fd disk, int number, long startBytes, long lengthBytes) {
        blkpg("ioctl(BLKPG_ADD_PARTITION)", disk, libc_h.BLKPG_ADD_PARTITION(), number, startBytes, lengthBytes);
    }

    /** Changes a partition's length as the kernel sees it ({@code BLKPG_RESIZE_PARTITION}); its start stays. */
    public void resizePartition(Fd disk, int number, long startBytes, long lengthBytes) {
        blkpg("ioctl(BLKPG_RESIZE_PARTITION)", disk, libc_h.BLKPG_RESIZE_PARTITION(), number, startBytes, lengthBytes);
    }

    /** Removes a partition's device node ({@code BLKPG_DEL_PARTITION}); {@code EBUSY} while it is in use. */
    public void deletePartition(Fd disk, int number) {
        blkpg("ioctl(BLKPG_DEL_PARTITION)", disk, libc_h.BLKPG_DEL_PARTITION(), number, 0, 0);
    }

    private void blkpg(String function, Fd disk, int operation, int number, long start, long length) {
        if (number < 1) {
            throw new IllegalArgumentException("partition numbers start at 1, not " + number);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment partition = arena.allocate(blkpg_partition.layout());
            blkpg_partition.start(partition, start);
            blkpg_partition.length(partition, length);
            blkpg_partition.pno(partition, number);
            MemorySegment argument = arena.allocate(blkpg_ioctl_arg.layout());
            blkpg_ioctl_arg.op(argument, operation);
            blkpg_ioctl_arg.datalen(argument, (int) blkpg_partition.layout().byteSize());
            blkpg_ioctl_arg.data(argument, partition);
            ioctlWithPointer(arena, function, disk, libc_h.BLKPG(), argument);
        }
    }

    private void blockRange(String function, Fd fd, long request, long offset, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment range = arena.allocate(ValueLayout.JAVA_LONG, 2);
            range.setAtIndex(ValueLayout.JAVA_LONG, 0, offset);
            range.setAtIndex(ValueLayout.JAVA_LONG, 1, length);
            ioctlWithPointer(arena, function, fd, request, range);
        }
    }

    /** {@code ioctl(fd, request, pointer)}, retried on EINTR; returns the call's result. */
    int ioctlWithPointer(Arena arena, String function, Fd fd, long request, MemorySegment argument) {
        int value = fd.value();
        return (int) call(arena, function, err -> (int) IoctlPointerCall.H.invokeExact(err, value, request, argument));
    }

    /** {@code ioctl(fd, request, value)} for requests that take an integer; returns the result. */
    int ioctlWithValue(String function, Fd fd, long request, long value) {
        int descriptor = fd.value();
        return (int) call(function, err -> (int) IoctlValueCall.H.invokeExact(err, descriptor, request, value));
    }

    // ---- durability and locking ---------------------------------------------------------

    public void fsync(Fd fd) {
        checkedInt("fsync", FsyncCall.H, fd, 0);
    }

    public void fdatasync(Fd fd) {
        checkedInt("fdatasync", FdatasyncCall.H, fd, 0);
    }

    /**
     * {@code flock(2)} with {@link #LOCK_SH}, {@link #LOCK_EX} or {@link #LOCK_UN}, optionally
     * or-ed with {@link #LOCK_NB}; a held lock with {@code LOCK_NB} fails with {@code EAGAIN}.
     */
    public void flock(Fd fd, int operation) {
        checkedInt("flock", FlockCall.H, fd, operation);
    }

    /** As {@link #flock} with {@code LOCK_NB}: false when another holder has the lock. */
    public boolean tryFlock(Fd fd, int operation) {
        try {
            flock(fd, operation | LOCK_NB);
            return true;
        } catch (NativeCallException e) {
            if (e.errno() == EAGAIN) {
                return false;
            }
            throw e;
        }
    }

    /** fsync, fdatasync, fchmod and flock: {@code int f(int fd, int)} calls, retried on EINTR. */
    private void checkedInt(String function, MethodHandle handle, Fd fd, int argument) {
        int value = fd.value();
        call(function, err -> (int) handle.invokeExact(err, value, argument));
    }

    // ---- data ---------------------------------------------------------------------------

    /** {@code pread(2)} into a native segment; returns the bytes read, 0 at end of file. */
    public long pread(Fd fd, MemorySegment buffer, long offset) {
        return transfer("pread", PreadCall.H, fd, buffer, offset);
    }

    /** {@code pwrite(2)} from a native segment; returns the bytes written. */
    public long pwrite(Fd fd, MemorySegment buffer, long offset) {
        return transfer("pwrite", PwriteCall.H, fd, buffer, offset);
    }

    /** {@code read(2)} at the descriptor's position. */
    public long read(Fd fd, MemorySegment buffer) {
        return transfer("read", ReadCall.H, fd, buffer, 0);
    }

    /** {@code write(2)} at the descriptor's position. */
    public long write(Fd fd, MemorySegment buffer) {
        return transfer("write", WriteCall.H, fd, buffer, 0);
    }

    /**
     * {@code pread(2)} into a buffer's remaining space, advancing its position by the bytes
     * read. Heap buffers go through a temporary native copy.
     */
    public int pread(Fd fd, ByteBuffer buffer, long offset) {
        if (buffer.isDirect()) {
            int n = (int) pread(fd, MemorySegment.ofBuffer(buffer), offset);
            buffer.position(buffer.position() + n);
            return n;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tmp = arena.allocate(buffer.remaining());
            int n = (int) pread(fd, tmp, offset);
            buffer.put(tmp.asSlice(0, n).asByteBuffer());
            return n;
        }
    }

    /** {@code pwrite(2)} from a buffer's remaining bytes, advancing its position by the bytes written. */
    public int pwrite(Fd fd, ByteBuffer buffer, long offset) {
        if (buffer.isDirect()) {
            int n = (int) pwrite(fd, MemorySegment.ofBuffer(buffer), offset);
            buffer.position(buffer.position() + n);
            return n;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tmp = arena.allocate(buffer.remaining());
            tmp.copyFrom(MemorySegment.ofBuffer(buffer));
            int n = (int) pwrite(fd, tmp, offset);
            buffer.position(buffer.position() + n);
            return n;
        }
    }

    private long transfer(String function, MethodHandle handle, Fd fd, MemorySegment buffer, long offset) {
        if (!buffer.isNative()) {
            throw new IllegalArgumentException(function + " needs a native memory segment");
        }
        int value = fd.value();
        long size = buffer.byteSize();
        return call(function, err -> (long) handle.invokeExact(err, value, buffer, size, offset));
    }

    // ---- the one calling pattern ---------------------------------------------------------

    /**
     * One errno-capturing downcall: {@code err} is the capture segment to pass as the handle's
     * first argument; returns the C function's result widened to long (a cast to the handle's
     * exact return type inside the lambda keeps {@code invokeExact} exact).
     */
    @FunctionalInterface
    interface Call {
        long invoke(MemorySegment err) throws Throwable;
    }

    /**
     * The pattern of (nearly) every libc call: a capture segment in {@code arena}, the call
     * repeated while it fails with {@code EINTR}, and a negative result thrown as
     * {@link #failure} naming {@code function} and the errno. Returns the (non-negative) result.
     */
    long call(Arena arena, String function, Call call) {
        return call(arena, function, 0, call);
    }

    /** {@link #call(Arena, String, Call)} in an arena of its own, for calls that allocate nothing else. */
    long call(String function, Call call) {
        try (Arena arena = Arena.ofConfined()) {
            return call(arena, function, 0, call);
        }
    }

    /** As {@link #call(String, Call)}, but {@code answer} (an errno that is a result, not a failure) returns -1. */
    long call(String function, int answer, Call call) {
        try (Arena arena = Arena.ofConfined()) {
            return call(arena, function, answer, call);
        }
    }

    private long call(Arena arena, String function, int answer, Call call) {
        MemorySegment err = captureSegment(arena);
        long rc;
        try {
            do {
                rc = call.invoke(err);
            } while (rc < 0 && errno(err) == EINTR);
        } catch (Throwable t) {
            throw unchecked(t);
        }
        if (rc < 0) {
            int errno = errno(err);
            if (answer != 0 && errno == answer) {
                return -1;
            }
            throw failure(function, errno);
        }
        return rc;
    }

    // ---- errors -------------------------------------------------------------------------

    /** The C library's description of an errno ({@code strerror_r}), such as "No such file or directory". */
    public String strerror(int errno) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            // GNU strerror_r: returns either buf or a static string.
            MemorySegment text = libc_h.strerror_r(errno, buf, buf.byteSize());
            return text.equals(MemorySegment.NULL) ? "errno " + errno : text.getString(0);
        }
    }

    /** The symbolic name of an errno, such as {@code ENOENT}, or {@code errno N} if unknown. */
    public String errnoName(int errno) {
        String name = errnoNames.get(errno);
        return name != null ? name : "errno " + errno;
    }

    /** The exception for a failed libc call, with the errno's name and strerror text. */
    public NativeCallException failure(String function, int errno) {
        return new NativeCallException(SONAME, function, errno, errnoName(errno), strerror(errno));
    }

    private static Map<Integer, String> errnoTable() {
        Map<Integer, String> names = new HashMap<>();
        // Where two names share a value (EOPNOTSUPP/ENOTSUP, EAGAIN/EWOULDBLOCK) the first wins.
        putName(names, libc_h.EPERM(), "EPERM");
        putName(names, libc_h.ENOENT(), "ENOENT");
        putName(names, libc_h.ESRCH(), "ESRCH");
        putName(names, libc_h.EINTR(), "EINTR");
        putName(names, libc_h.EIO(), "EIO");
        putName(names, libc_h.ENXIO(), "ENXIO");
        putName(names, libc_h.E2BIG(), "E2BIG");
        putName(names, libc_h.EBADF(), "EBADF");
        putName(names, libc_h.EAGAIN(), "EAGAIN");
        putName(names, libc_h.ENOMEM(), "ENOMEM");
        putName(names, libc_h.EACCES(), "EACCES");
        putName(names, libc_h.EFAULT(), "EFAULT");
        putName(names, libc_h.ENOTBLK(), "ENOTBLK");
        putName(names, libc_h.EBUSY(), "EBUSY");
        putName(names, libc_h.EEXIST(), "EEXIST");
        putName(names, libc_h.EXDEV(), "EXDEV");
        putName(names, libc_h.ENODEV(), "ENODEV");
        putName(names, libc_h.ENOTDIR(), "ENOTDIR");
        putName(names, libc_h.EISDIR(), "EISDIR");
        putName(names, libc_h.EINVAL(), "EINVAL");
        putName(names, libc_h.ENFILE(), "ENFILE");
        putName(names, libc_h.EMFILE(), "EMFILE");
        putName(names, libc_h.ENOTTY(), "ENOTTY");
        putName(names, libc_h.ETXTBSY(), "ETXTBSY");
        putName(names, libc_h.EFBIG(), "EFBIG");
        putName(names, libc_h.ENOSPC(), "ENOSPC");
        putName(names, libc_h.ESPIPE(), "ESPIPE");
        putName(names, libc_h.EROFS(), "EROFS");
        putName(names, libc_h.EMLINK(), "EMLINK");
        putName(names, libc_h.EPIPE(), "EPIPE");
        putName(names, libc_h.ERANGE(), "ERANGE");
        putName(names, libc_h.EDEADLK(), "EDEADLK");
        putName(names, libc_h.ENAMETOOLONG(), "ENAMETOOLONG");
        putName(names, libc_h.ENOLCK(), "ENOLCK");
        putName(names, libc_h.ENOSYS(), "ENOSYS");
        putName(names, libc_h.ENOTEMPTY(), "ENOTEMPTY");
        putName(names, libc_h.ELOOP(), "ELOOP");
        putName(names, libc_h.ENODATA(), "ENODATA");
        putName(names, libc_h.EOPNOTSUPP(), "EOPNOTSUPP");
        putName(names, libc_h.ENOTSUP(), "ENOTSUP");
        putName(names, libc_h.EOVERFLOW(), "EOVERFLOW");
        putName(names, libc_h.ETIMEDOUT(), "ETIMEDOUT");
        putName(names, libc_h.ECONNREFUSED(), "ECONNREFUSED");
        putName(names, libc_h.ECONNRESET(), "ECONNRESET");
        putName(names, libc_h.EHOSTUNREACH(), "EHOSTUNREACH");
        putName(names, libc_h.ENOTCONN(), "ENOTCONN");
        putName(names, libc_h.EALREADY(), "EALREADY");
        putName(names, libc_h.EINPROGRESS(), "EINPROGRESS");
        putName(names, libc_h.ECANCELED(), "ECANCELED");
        putName(names, libc_h.EDQUOT(), "EDQUOT");
        putName(names, libc_h.ESTALE(), "ESTALE");
        putName(names, libc_h.EUCLEAN(), "EUCLEAN");
        putName(names, libc_h.EREMOTEIO(), "EREMOTEIO");
        putName(names, libc_h.ENOMEDIUM(), "ENOMEDIUM");
        putName(names, libc_h.EMEDIUMTYPE(), "EMEDIUMTYPE");
        putName(names, libc_h.EILSEQ(), "EILSEQ");
        putName(names, libc_h.EPROTO(), "EPROTO");
        putName(names, libc_h.ENOKEY(), "ENOKEY");
        return Map.copyOf(names);
    }

    private static void putName(Map<Integer, String> names, int value, String name) {
        names.putIfAbsent(value, name);
    }

    // ---- strings ------------------------------------------------------------------------

    /** A NUL-terminated UTF-8 copy of {@code s}; a NUL inside would silently cut it, so it is refused. */
    static MemorySegment cString(Arena arena, String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a path or name for a C call contains a NUL character");
        }
        return arena.allocateFrom(s);
    }
}
