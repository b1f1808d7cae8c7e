package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.libstorage.bindings.rbd.librbd_progress_fn_t;
import org.libstorage.bindings.rbd.rbd_diff_iterate2$cb;
import org.libstorage.bindings.rbd.rbd_h;
import org.libstorage.bindings.rbd.rbd_image_info_t;
import org.libstorage.bindings.rbd.rbd_image_spec_t;
import org.libstorage.bindings.rbd.rbd_image_watcher_t;
import org.libstorage.bindings.rbd.rbd_snap_info_t;

/**
 * librbd ({@code librbd.so.1}, Debian {@code librbd1}): RADOS block device images in an
 * {@link Rados.IoContext}. Like librados, every call returns a negative errno, thrown here as
 * {@link NativeCallException} naming the function, the errno and the image
 * ({@code POOL[/NAMESPACE]/IMAGE}). How long a call can take is bounded by the cluster's
 * {@code rados_osd_op_timeout} (see {@link Rados#connect}).
 */
public final class Rbd {
    public static final String SONAME = "librbd.so.1";
    public static final String DEBIAN_PACKAGE = "librbd1";

    /** Image features, as {@code rbd/features.h} numbers them. */
    public static final long FEATURE_LAYERING = 1L;
    public static final long FEATURE_EXCLUSIVE_LOCK = 4L;
    public static final long FEATURE_OBJECT_MAP = 8L;
    public static final long FEATURE_FAST_DIFF = 16L;
    public static final long FEATURE_DEEP_FLATTEN = 32L;

    /** Linux ERANGE: a list call's buffer was too small (libc's bindings do not carry it). */
    private static final int ENOENT = 2;
    private static final int ERANGE = 34;
    private static final int ECANCELED = 125;
    private static final int FLAG_OBJECT_MAP_INVALID = 1;
    private static final int FLAG_FAST_DIFF_INVALID = 2;

    private static final class Holder {
        static final Rbd INSTANCE = new Rbd(NativeLibrary.probe("librbd", SONAME, DEBIAN_PACKAGE), Rados.instance());
    }

    private final NativeLibrary library;
    private final Rados rados;
    /** librbd calls a progress callback unconditionally, so calls that take one get this no-op. */
    private final MemorySegment noProgress;

    private Rbd(NativeLibrary library, Rados rados) {
        this.library = library.requiringSymbols(List.of("rbd_create4", "rbd_clone3", "rbd_list2", "rbd_diff_iterate2",
                "rbd_read2", "rbd_write2", "rbd_write_zeroes", "rbd_watchers_list"), " (librbd before Ceph 14)");
        this.rados = rados;
        this.noProgress = this.library.isAvailable()
                ? librbd_progress_fn_t.allocate((offset, total, ptr) -> 0, Arena.global())
                : null;
    }

    /** librbd, probed once (with librados, which it needs). */
    public static Rbd instance() {
        return Holder.INSTANCE;
    }

    public boolean isAvailable() {
        return library.isAvailable() && rados.isAvailable();
    }

    /** Why librbd or librados cannot be used here, naming the Debian packages, or empty. */
    public Optional<String> unavailableReason() {
        if (!rados.isAvailable()) {
            return rados.unavailableReason();
        }
        return library.unavailableReason();
    }

    private void requireAvailable() {
        rados.requireAvailable();
        library.requireAvailable();
    }

    /** librbd's version, such as {@code 1.16.0}. */
    public String version() {
        requireAvailable();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT, 3);
            rbd_h.rbd_version(v, v.asSlice(4), v.asSlice(8));
            return v.getAtIndex(ValueLayout.JAVA_INT, 0) + "." + v.getAtIndex(ValueLayout.JAVA_INT, 1) + "."
                    + v.getAtIndex(ValueLayout.JAVA_INT, 2);
        }
    }

    private static String about(Rados.IoContext io, String image) {
        return "image " + io.spec() + "/" + image;
    }

    private static int checked(int rc, String function, Rados.IoContext io, String image) {
        if (rc < 0) {
            throw Rados.failure(SONAME, function, -rc, about(io, image));
        }
        return rc;
    }

    private static long checked(long rc, String function, Rados.IoContext io, String image) {
        if (rc < 0) {
            throw Rados.failure(SONAME, function, (int) -rc, about(io, image));
        }
        return rc;
    }

    private static void requireName(String what, String name) {
        Objects.requireNonNull(name, what);
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("the " + what + " is empty or contains NUL");
        }
    }

    /** The names of the images in {@code io}'s pool and namespace (not those in the trash). */
    public List<String> list(Rados.IoContext io) {
        requireAvailable();
        io.requireOpen();
        long max = 64;
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment specs = rbd_image_spec_t.allocateArray(max, arena);
                MemorySegment count = arena.allocate(ValueLayout.JAVA_LONG);
                count.set(ValueLayout.JAVA_LONG, 0, max);
                int rc = rbd_h.rbd_list2(io.handle(), specs, count);
                long found = count.get(ValueLayout.JAVA_LONG, 0);
                if (rc == -ERANGE) {
                    max = Math.max(found, max * 2);
                    continue;
                }
                if (rc < 0) {
                    throw Rados.failure(SONAME, "rbd_list2", -rc, "pool " + io.spec());
                }
                List<String> names = new ArrayList<>((int) found);
                for (long i = 0; i < found; i++) {
                    names.add(rbd_image_spec_t.name(rbd_image_spec_t.asSlice(specs, i)).getString(0));
                }
                rbd_h.rbd_image_spec_list_cleanup(specs, found);
                return names;
            }
        }
    }

    /**
     * Creates a sparse image of {@code size} bytes.
     *
     * @param features the image features, or empty for the cluster's default ({@code rbd_default_features})
     * @param order    log2 of the object size (22 = 4 MiB), or empty for the default
     * @throws NativeCallException {@code rbd_create4} with {@code EEXIST} when the name is taken
     */
    public void create(Rados.IoContext io, String name, long size, OptionalLong features, OptionalLong order) {
        requireAvailable();
        requireName("image name", name);
        io.requireOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = options(arena, io, name, features, order);
            try {
                checked(rbd_h.rbd_create4(io.handle(), Libc.cString(arena, name), size, opts), "rbd_create4", io, name);
            } finally {
                rbd_h.rbd_image_options_destroy(opts);
            }
        }
    }

    private static MemorySegment options(Arena arena, Rados.IoContext io, String name, OptionalLong features,
                                         OptionalLong order) {
        MemorySegment holder = arena.allocate(ValueLayout.ADDRESS);
        rbd_h.rbd_image_options_create(holder);
        MemorySegment opts = holder.get(ValueLayout.ADDRESS, 0);
        try {
            if (features.isPresent()) {
                checked(rbd_h.rbd_image_options_set_uint64(opts, rbd_h.RBD_IMAGE_OPTION_FEATURES(), features.getAsLong()),
                        "rbd_image_options_set_uint64", io, name);
            }
            if (order.isPresent()) {
                checked(rbd_h.rbd_image_options_set_uint64(opts, rbd_h.RBD_IMAGE_OPTION_ORDER(), order.getAsLong()),
                        "rbd_image_options_set_uint64", io, name);
            }
        } catch (RuntimeException e) {
            rbd_h.rbd_image_options_destroy(opts);
            throw e;
        }
        return opts;
    }

    /**
     * A copy-on-write clone of {@code parent@snapshot} (the snapshot must be protected unless
     * the cluster allows clone format 2), named {@code child} in {@code childIo}.
     */
    public void clone(Rados.IoContext parentIo, String parent, String snapshot, Rados.IoContext childIo, String child,
                      OptionalLong features) {
        requireAvailable();
        requireName("parent image name", parent);
        requireName("snapshot name", snapshot);
        requireName("image name", child);
        parentIo.requireOpen();
        childIo.requireOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = options(arena, childIo, child, features, OptionalLong.empty());
            try {
                int rc = rbd_h.rbd_clone3(parentIo.handle(), Libc.cString(arena, parent), Libc.cString(arena, snapshot),
                        childIo.handle(), Libc.cString(arena, child), opts);
                if (rc < 0) {
                    throw Rados.failure(SONAME, "rbd_clone3", -rc, about(childIo, child) + " from "
                            + parentIo.spec() + "/" + parent + "@" + snapshot);
                }
            } finally {
                rbd_h.rbd_image_options_destroy(opts);
            }
        }
    }

    /**
     * Removes an image and its data.
     *
     * @throws NativeCallException {@code rbd_remove_with_progress} with {@code EBUSY} while a
     *         client watches it (has it open), {@code ENOTEMPTY} while it has snapshots,
     *         {@code ENOENT} when there is no such image
     */
    public void remove(Rados.IoContext io, String name) {
        requireAvailable();
        requireName("image name", name);
        io.requireOpen();
        try (Arena arena = Arena.ofConfined()) {
            checked(rbd_h.rbd_remove_with_progress(io.handle(), Libc.cString(arena, name), noProgress,
                    MemorySegment.NULL), "rbd_remove_with_progress", io, name);
        }
    }

    /** Opens an image for reading and writing, or only for reading (which takes no exclusive lock). */
    public Image open(Rados.IoContext io, String name, boolean readOnly) {
        requireAvailable();
        requireName("image name", name);
        io.retain();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment cname = Libc.cString(arena, name);
            int rc = readOnly ? rbd_h.rbd_open_read_only(io.handle(), cname, out, MemorySegment.NULL)
                    : rbd_h.rbd_open(io.handle(), cname, out, MemorySegment.NULL);
            checked(rc, readOnly ? "rbd_open_read_only" : "rbd_open", io, name);
            return new Image(this, io, name, out.get(ValueLayout.ADDRESS, 0));
        } catch (RuntimeException e) {
            io.release();
            throw e;
        }
    }

    /** What {@code rbd_stat} reports. */
    public record Info(long size, long objectSize, long objects, int order) {
    }

    /** A client watching an image: {@code client.<id>} at {@code address}. */
    public record Watcher(long id, String address, long cookie) {
        @Override
        public String toString() {
            return "client." + id + " at " + address;
        }
    }

    /** A snapshot of an image. */
    public record Snapshot(long id, String name, long size) {
    }

    /** An open image ({@code rbd_image_t}). Reads and writes may come from several threads. */
    public static final class Image extends Rados.Handle {
        private final Rbd rbd;
        private final Rados.IoContext io;
        private final String name;
        private final MemorySegment handle;

        private Image(Rbd rbd, Rados.IoContext io, String name, MemorySegment handle) {
            this.rbd = rbd;
            this.io = io;
            this.name = name;
            this.handle = handle;
        }

        public String name() {
            return name;
        }

        public Rados.IoContext ioContext() {
            return io;
        }

        private int check(int rc, String function) {
            return checked(rc, function, io, name);
        }

        public Info stat() {
            requireOpen();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment info = rbd_image_info_t.allocate(arena);
                check(rbd_h.rbd_stat(handle, info, rbd_image_info_t.sizeof()), "rbd_stat");
                return new Info(rbd_image_info_t.size(info), rbd_image_info_t.obj_size(info),
                        rbd_image_info_t.num_objs(info), rbd_image_info_t.order(info));
            }
        }

        public long features() {
            requireOpen();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
                check(rbd_h.rbd_get_features(handle, out), "rbd_get_features");
                return out.get(ValueLayout.JAVA_LONG, 0);
            }
        }

        /** Whether the fast-diff object map is enabled and valid, so allocation is cheap to compute. */
        public boolean fastDiffValid() {
            if ((features() & FEATURE_FAST_DIFF) == 0) {
                return false;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
                check(rbd_h.rbd_get_flags(handle, out), "rbd_get_flags");
                long flags = out.get(ValueLayout.JAVA_LONG, 0);
                return (flags & (FLAG_FAST_DIFF_INVALID | FLAG_OBJECT_MAP_INVALID)) == 0;
            }
        }

        /**
         * Bytes of the image's own objects that exist ({@code rbd_diff_iterate2} over the whole
         * image, whole objects, without the parent's): what {@code rbd du} reports as used.
         * With a valid fast-diff map this reads only the map; without one librbd asks every
         * object.
         */
        public long allocated() {
            requireOpen();
            long size = stat().size();
            LongAdderCallback sum = new LongAdderCallback();
            try (Arena arena = Arena.ofShared()) {
                MemorySegment cb = rbd_diff_iterate2$cb.allocate(sum, arena);
                check(rbd_h.rbd_diff_iterate2(handle, MemorySegment.NULL, 0, size, (byte) 0, (byte) 1, cb,
                        MemorySegment.NULL), "rbd_diff_iterate2");
            }
            return Math.min(sum.total.get(), size);
        }

        /**
         * Whether anything was written to the image since {@code snapshot} was taken
         * ({@code rbd_diff_iterate2} from it, whole objects, stopping at the first changed
         * extent), or its size changed. With a valid fast-diff map this reads only the map.
         */
        public boolean changedSince(String snapshot) {
            requireName("snapshot name", snapshot);
            requireOpen();
            long size = stat().size();
            Snapshot taken = snapshots().stream().filter(s -> s.name().equals(snapshot)).findFirst()
                    .orElseThrow(() -> Rados.failure(SONAME, "rbd_snap_list", ENOENT, about(io, name) + "@" + snapshot));
            if (taken.size() != size) {
                return true;
            }
            try (Arena arena = Arena.ofShared()) {
                MemorySegment cb = rbd_diff_iterate2$cb.allocate((offset, length, exists, arg) -> -ECANCELED, arena);
                int rc = rbd_h.rbd_diff_iterate2(handle, Libc.cString(arena, snapshot), 0, size, (byte) 0, (byte) 1,
                        cb, MemorySegment.NULL);
                if (rc == -ECANCELED) {
                    return true; // the callback stopped at the first changed extent
                }
                check(rc, "rbd_diff_iterate2");
                return false;
            }
        }

        /** Counts the extents librbd reports as existing; may be called from librbd's threads. */
        private static final class LongAdderCallback implements rbd_diff_iterate2$cb.Function {
            final AtomicLong total = new AtomicLong();

            @Override
            public int apply(long offset, long length, int exists, MemorySegment arg) {
                if (exists != 0) {
                    total.addAndGet(length);
                }
                return 0;
            }
        }

        /** Grows or (with {@code allowShrink}) shrinks the image; shrinking discards the data past the end. */
        public void resize(long size, boolean allowShrink) {
            requireOpen();
            check(rbd_h.rbd_resize2(handle, size, allowShrink, rbd.noProgress, MemorySegment.NULL), "rbd_resize2");
        }

        public void createSnapshot(String snapshot) {
            requireName("snapshot name", snapshot);
            requireOpen();
            try (Arena arena = Arena.ofConfined()) {
                check(rbd_h.rbd_snap_create(handle, Libc.cString(arena, snapshot)), "rbd_snap_create");
            }
        }

        public void protectSnapshot(String snapshot) {
            snapCall(snapshot, "rbd_snap_protect");
        }

        public void unprotectSnapshot(String snapshot) {
            snapCall(snapshot, "rbd_snap_unprotect");
        }

        public void removeSnapshot(String snapshot) {
            snapCall(snapshot, "rbd_snap_remove");
        }

        private void snapCall(String snapshot, String function) {
            requireName("snapshot name", snapshot);
            requireOpen();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = Libc.cString(arena, snapshot);
                int rc = switch (function) {
                    case "rbd_snap_protect" -> rbd_h.rbd_snap_protect(handle, s);
                    case "rbd_snap_unprotect" -> rbd_h.rbd_snap_unprotect(handle, s);
                    default -> rbd_h.rbd_snap_remove(handle, s);
                };
                if (rc < 0) {
                    throw Rados.failure(SONAME, function, -rc, about(io, name) + "@" + snapshot);
                }
            }
        }

        public boolean snapshotProtected(String snapshot) {
            requireName("snapshot name", snapshot);
            requireOpen();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
                check(rbd_h.rbd_snap_is_protected(handle, Libc.cString(arena, snapshot), out), "rbd_snap_is_protected");
                return out.get(ValueLayout.JAVA_INT, 0) != 0;
            }
        }

        public List<Snapshot> snapshots() {
            requireOpen();
            int max = 16;
            while (true) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment snaps = rbd_snap_info_t.allocateArray(max, arena);
                    MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
                    count.set(ValueLayout.JAVA_INT, 0, max);
                    int rc = rbd_h.rbd_snap_list(handle, snaps, count);
                    if (rc == -ERANGE) {
                        max = Math.max(count.get(ValueLayout.JAVA_INT, 0), max * 2);
                        continue;
                    }
                    check(rc, "rbd_snap_list");
                    List<Snapshot> out = new ArrayList<>(rc);
                    for (int i = 0; i < rc; i++) {
                        MemorySegment s = rbd_snap_info_t.asSlice(snaps, i);
                        out.add(new Snapshot(rbd_snap_info_t.id(s), rbd_snap_info_t.name(s).getString(0),
                                rbd_snap_info_t.size(s)));
                    }
                    rbd_h.rbd_snap_list_end(snaps);
                    return out;
                }
            }
        }

        /** The clients watching the image (having it open), this one included if it opened read-write. */
        public List<Watcher> watchers() {
            requireOpen();
            long max = 8;
            while (true) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment list = rbd_image_watcher_t.allocateArray(max, arena);
                    MemorySegment count = arena.allocate(ValueLayout.JAVA_LONG);
                    count.set(ValueLayout.JAVA_LONG, 0, max);
                    int rc = rbd_h.rbd_watchers_list(handle, list, count);
                    long found = count.get(ValueLayout.JAVA_LONG, 0);
                    if (rc == -ERANGE) {
                        max = Math.max(found, max * 2);
                        continue;
                    }
                    check(rc, "rbd_watchers_list");
                    List<Watcher> out = new ArrayList<>();
                    for (long i = 0; i < found; i++) {
                        MemorySegment w = rbd_image_watcher_t.asSlice(list, i);
                        MemorySegment addr = rbd_image_watcher_t.addr(w);
                        out.add(new Watcher(rbd_image_watcher_t.id(w),
                                addr.equals(MemorySegment.NULL) ? "?" : addr.reinterpret(256).getString(0),
                                rbd_image_watcher_t.cookie(w)));
                    }
                    rbd_h.rbd_watchers_list_cleanup(list, found);
                    return out;
                }
            }
        }

        /**
         * Reads up to {@code buffer.byteSize()} bytes at {@code offset} into native memory.
         *
         * @return bytes read; fewer only at the end of the image
         */
        public long read(long offset, MemorySegment buffer) {
            requireOpen();
            return checked(rbd_h.rbd_read2(handle, offset, buffer.byteSize(), buffer,
                    rbd_h.LIBRADOS_OP_FLAG_FADVISE_SEQUENTIAL()), "rbd_read2", io, name);
        }

        /** Writes all of {@code buffer} at {@code offset}; returns only once the OSDs acknowledged it. */
        public void write(long offset, MemorySegment buffer) {
            requireOpen();
            long n = checked(rbd_h.rbd_write2(handle, offset, buffer.byteSize(), buffer,
                    rbd_h.LIBRADOS_OP_FLAG_FADVISE_SEQUENTIAL()), "rbd_write2", io, name);
            if (n != buffer.byteSize()) {
                throw Rados.failure(SONAME, "rbd_write2", Libc.EIO, about(io, name) + ": wrote " + n + " of "
                        + buffer.byteSize() + " bytes at " + offset);
            }
        }

        /** Deallocates a range; reads of it then return zeros. */
        public void discard(long offset, long length) {
            requireOpen();
            check(rbd_h.rbd_discard(handle, offset, length), "rbd_discard");
        }

        /** Writes zeros over a range, letting librbd deallocate whole objects. */
        public void writeZeroes(long offset, long length) {
            requireOpen();
            checked(rbd_h.rbd_write_zeroes(handle, offset, length, 0, 0), "rbd_write_zeroes", io, name);
        }

        public void flush() {
            requireOpen();
            check(rbd_h.rbd_flush(handle), "rbd_flush");
        }

        @Override
        void free() {
            try {
                rbd_h.rbd_close(handle);
            } finally {
                io.release();
            }
        }

        @Override
        public String toString() {
            return "Rbd.Image[" + io.spec() + "/" + name + "]";
        }
    }
}
