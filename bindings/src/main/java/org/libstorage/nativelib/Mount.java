package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.libstorage.bindings.mount.mount_h;

/**
 * libmount ({@code libmount.so.1}, Debian {@code libmount1}): the kernel's mount table read
 * through libmount's parser, and mounting and unmounting through a mount context, as
 * {@code mount(8)} and {@code umount(8)} do (the same option parsing, filesystem probing and
 * helper programs). One immutable, thread-safe instance: {@link #instance()}.
 *
 * <p>libmount returns negative errno values or its own {@code MNT_ERR_*} codes rather than
 * setting errno, and keeps the mount syscall's errno in the context; both are reported.
 */
public final class Mount {
    public static final String SONAME = "libmount.so.1";
    public static final String DEBIAN_PACKAGE = "libmount1";

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    /** libmount's own error codes start here ({@code MNT_ERR_NOFSTAB} is 5000). */
    private static final int LIBMOUNT_ERROR_BASE = 5000;

    private static final class Holder {
        static final Mount INSTANCE = new Mount(NativeLibrary.probe("libmount", SONAME, DEBIAN_PACKAGE));
    }

    private final NativeLibrary library;

    Mount(NativeLibrary library) {
        // Initialises mount_h (whose static initialiser loads the library) only now.
        this.library = library.link(() -> List.of(mount_h.mnt_context_get_excode$address(),
                mount_h.mnt_table_next_fs$address())).library();
    }

    /** libmount, probed once. */
    public static Mount instance() {
        return Holder.INSTANCE;
    }

    public boolean isAvailable() {
        return library.isAvailable();
    }

    /** Why libmount cannot be used here (naming the soname and Debian package), or empty. */
    public Optional<String> unavailableReason() {
        return library.unavailableReason();
    }

    /**
     * One line of {@code /proc/self/mountinfo}.
     *
     * @param source     the mount source as the kernel reports it ({@code /dev/loop3p1}, {@code tmpfs}, ...)
     * @param sourcePath the source when it is a path (a device or file), with libmount's unescaping
     * @param device     the {@code st_dev} of the mounted filesystem (major/minor as in mountinfo)
     * @param root       the path inside the filesystem mounted here ({@code /} unless a bind mount)
     */
    public record MountEntry(Optional<String> source, Optional<Path> sourcePath, Path target, String fsType,
                             String options, long device, String root) {
        public MountEntry {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(sourcePath, "sourcePath");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(fsType, "fsType");
            Objects.requireNonNull(options, "options");
            Objects.requireNonNull(root, "root");
        }
    }

    /** The mounts this process sees, in mount order, parsed by libmount from {@code /proc/self/mountinfo}. */
    public List<MountEntry> mountTable() {
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined();
             Handle table = new Handle(mount_h.mnt_new_table_from_file(Libc.cString(arena, MOUNTINFO.toString())),
                     mount_h::mnt_unref_table);
             Handle iter = new Handle(mount_h.mnt_new_iter(mount_h.MNT_ITER_FORWARD()), mount_h::mnt_free_iter)) {
            if (isNull(table.segment())) {
                throw new NativeCallException(SONAME, "mnt_new_table_from_file", 0, "",
                        "cannot parse " + MOUNTINFO);
            }
            if (isNull(iter.segment())) {
                throw new NativeCallException(SONAME, "mnt_new_iter", 0, "", "out of memory");
            }
            MemorySegment fsOut = arena.allocate(mount_h.C_POINTER);
            List<MountEntry> entries = new ArrayList<>();
            int rc;
            while ((rc = mount_h.mnt_table_next_fs(table.segment(), iter.segment(), fsOut)) == 0) {
                MemorySegment fs = fsOut.get(mount_h.C_POINTER, 0);
                Optional<String> target = string(mount_h.mnt_fs_get_target(fs));
                if (target.isEmpty()) {
                    continue;
                }
                entries.add(new MountEntry(string(mount_h.mnt_fs_get_source(fs)),
                        string(mount_h.mnt_fs_get_srcpath(fs)).map(Path::of), Path.of(target.get()),
                        string(mount_h.mnt_fs_get_fstype(fs)).orElse(""),
                        string(mount_h.mnt_fs_get_options(fs)).orElse(""), mount_h.mnt_fs_get_devno(fs),
                        string(mount_h.mnt_fs_get_root(fs)).orElse("/")));
            }
            if (rc < 0) {
                throw failure("mnt_table_next_fs", rc, "reading " + MOUNTINFO);
            }
            return List.copyOf(entries);
        }
    }

    /**
     * Mounts {@code source} on {@code target} as {@code mount -t fstype -o options source target}
     * does. An empty {@code fsType} lets libmount probe the filesystem with libblkid.
     *
     * @throws NativeCallException naming {@code mnt_context_mount}, the mount syscall's errno
     *                             when it was called, and libmount's own message
     */
    public void mount(Path source, Path target, Optional<String> fsType, List<String> options) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(fsType, "fsType");
        Objects.requireNonNull(options, "options");
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined(); Handle context = newContext()) {
            MemorySegment cxt = context.segment();
            check("mnt_context_set_source", mount_h.mnt_context_set_source(cxt, Libc.cString(arena, source.toString())));
            check("mnt_context_set_target", mount_h.mnt_context_set_target(cxt, Libc.cString(arena, target.toString())));
            if (fsType.isPresent()) {
                check("mnt_context_set_fstype", mount_h.mnt_context_set_fstype(cxt, Libc.cString(arena, fsType.get())));
            }
            if (!options.isEmpty()) {
                check("mnt_context_set_options",
                        mount_h.mnt_context_set_options(cxt, Libc.cString(arena, String.join(",", options))));
            }
            int rc = mount_h.mnt_context_mount(cxt);
            checkOutcome(arena, cxt, rc, "mnt_context_mount", "mounting " + source + " on " + target);
        }
    }

    /** Unmounts the filesystem mounted on {@code target}, as {@code umount target} does. */
    public void unmount(Path target) {
        Objects.requireNonNull(target, "target");
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined(); Handle context = newContext()) {
            MemorySegment cxt = context.segment();
            check("mnt_context_set_target", mount_h.mnt_context_set_target(cxt, Libc.cString(arena, target.toString())));
            int rc = mount_h.mnt_context_umount(cxt);
            checkOutcome(arena, cxt, rc, "mnt_context_umount", "unmounting " + target);
        }
    }

    private Handle newContext() {
        MemorySegment cxt = mount_h.mnt_new_context();
        if (isNull(cxt)) {
            throw new NativeCallException(SONAME, "mnt_new_context", 0, "", "out of memory");
        }
        return new Handle(cxt, mount_h::mnt_free_context);
    }

    /**
     * Turns a mount or umount outcome into an exception: the syscall's errno when libmount
     * called it, else the negative errno it returned, plus the message libmount composes for
     * {@code mount(8)} (such as "wrong fs type, bad option, bad superblock on ...").
     */
    private static void checkOutcome(Arena arena, MemorySegment cxt, int rc, String function, String what) {
        if (rc == 0) {
            return;
        }
        int errno = 0;
        if (mount_h.mnt_context_syscall_called(cxt) != 0) {
            errno = mount_h.mnt_context_get_syscall_errno(cxt);
        } else if (rc < 0 && -rc < LIBMOUNT_ERROR_BASE) {
            errno = -rc;
        }
        MemorySegment buffer = arena.allocate(1024);
        mount_h.mnt_context_get_excode(cxt, rc, buffer, buffer.byteSize());
        String message = buffer.getString(0);
        if (message.isBlank()) {
            message = errno != 0 ? Libc.instance().strerror(errno) : "libmount error " + rc;
        }
        throw new NativeCallException(SONAME, function, errno, errno == 0 ? "" : Libc.instance().errnoName(errno),
                message + " (" + what + ")");
    }

    private static void check(String function, int rc) {
        if (rc != 0) {
            throw failure(function, rc, null);
        }
    }

    private static NativeCallException failure(String function, int rc, String what) {
        int errno = rc < 0 && -rc < LIBMOUNT_ERROR_BASE ? -rc : 0;
        Libc libc = Libc.instance();
        String message = errno != 0 ? libc.strerror(errno) : "libmount error " + rc;
        return new NativeCallException(SONAME, function, errno, errno == 0 ? "" : libc.errnoName(errno),
                what == null ? message : message + " (" + what + ")");
    }

    private static boolean isNull(MemorySegment segment) {
        return segment == null || segment.equals(MemorySegment.NULL);
    }

    private static Optional<String> string(MemorySegment cString) {
        return isNull(cString) ? Optional.empty() : Optional.of(cString.getString(0));
    }

    /** A libmount object released once by its own free/unref function. */
    private static final class Handle implements AutoCloseable {
        private final MemorySegment segment;
        private final java.util.function.Consumer<MemorySegment> release;
        private final AtomicBoolean closed = new AtomicBoolean();

        Handle(MemorySegment segment, java.util.function.Consumer<MemorySegment> release) {
            this.segment = segment;
            this.release = release;
        }

        MemorySegment segment() {
            return segment;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true) && !isNull(segment)) {
                release.accept(segment);
            }
        }
    }
}
