package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;

import org.libstorage.bindings.zfs.zfs_h;

/**
 * libzfs_core ({@code libzfs_core.so.3}, Debian {@code libzfs4linux}), the stable C interface to
 * the ZFS kernel module's {@code /dev/zfs} ioctls, with the libnvpair lists
 * ({@code libnvpair.so.3}, Debian {@code libnvpair3linux}) its calls take and return.
 *
 * <p>Every {@code lzc_*} call returns an errno instead of setting it, so no errno capture is
 * needed; a failure is a {@link NativeCallException} naming the function, the dataset and the
 * errno (ZFS's own codes from 1024 up by their {@code ZFS_ERR_*} names), and for the calls
 * that report one error per snapshot ({@code lzc_snapshot}, {@code lzc_destroy_snaps}) that
 * list too. nvlists are built and freed inside this class; callers see Java maps.
 *
 * <p>{@code libzfs_core_init()} opens {@code /dev/zfs}, which exists only while the zfs kernel
 * module is loaded. It is called on first use and kept open for the life of the process
 * (libzfs_core counts its users; one open descriptor is all it holds); while the module is
 * missing every call fails with {@code libzfs_core_init}'s errno and is retried next time.
 * The calls themselves are thread-safe (each is one ioctl on that descriptor).
 */
public final class ZfsCore {
    public static final String SONAME = "libzfs_core.so.3";
    public static final String DEBIAN_PACKAGE = "libzfs4linux";
    public static final String NVPAIR_SONAME = "libnvpair.so.3";
    public static final String NVPAIR_DEBIAN_PACKAGE = "libnvpair3linux";
    /** The kernel module's control device. */
    public static final Path CONTROL_DEVICE = Path.of("/dev/zfs");
    /** The longest dataset name ZFS accepts, in bytes, without the terminating NUL. */
    public static final int MAX_NAME_BYTES = 255;

    private static final class Holder {
        static final ZfsCore INSTANCE = new ZfsCore(NativeLibrary.probe("libzfs_core", SONAME, DEBIAN_PACKAGE),
                NativeLibrary.probe("libnvpair", NVPAIR_SONAME, NVPAIR_DEBIAN_PACKAGE));
    }

    /** Which of libzfs_core's dataset types to create. */
    public enum DatasetType { FILESYSTEM, VOLUME }

    private final NativeLibrary library;
    private final boolean usable;
    private final Map<Integer, String> zfsErrorNames;
    private final Object initLock = new Object();
    private boolean initialised;

    ZfsCore(NativeLibrary core, NativeLibrary nvpair) {
        // Both libraries must load; libnvpair's reason is the one to give when only it is missing.
        NativeLibrary both = core.isAvailable() && !nvpair.isAvailable() ? nvpair : core;
        // Only now is zfs_h initialised (its static initialiser loads both libraries);
        // resolving every address here turns a missing symbol into "unusable", once.
        NativeLibrary.Linked<Map<Integer, String>> linked = both.link(() -> {
            List.of(zfs_h.libzfs_core_init$address(), zfs_h.lzc_create$address(), zfs_h.lzc_destroy$address(),
                    zfs_h.lzc_snapshot$address(), zfs_h.lzc_destroy_snaps$address(), zfs_h.lzc_clone$address(),
                    zfs_h.lzc_exists$address(), zfs_h.lzc_rollback_to$address(), zfs_h.lzc_rename$address(),
                    zfs_h.lzc_promote$address(), zfs_h.lzc_channel_program_nosync$address(),
                    zfs_h.nvlist_alloc$address(), zfs_h.nvlist_free$address(), zfs_h.nvlist_add_uint64$address(),
                    zfs_h.nvlist_add_string$address(), zfs_h.nvlist_add_boolean$address(),
                    zfs_h.nvlist_next_nvpair$address(), zfs_h.nvpair_name$address(), zfs_h.nvpair_type$address(),
                    zfs_h.nvpair_value_uint64$address(), zfs_h.nvpair_value_int64$address(),
                    zfs_h.nvpair_value_int32$address(), zfs_h.nvpair_value_uint32$address(),
                    zfs_h.nvpair_value_string$address(), zfs_h.nvpair_value_nvlist$address(),
                    zfs_h.nvpair_value_boolean_value$address());
            return zfsErrorNames();
        });
        this.library = linked.library();
        this.usable = linked.bound() != null;
        this.zfsErrorNames = usable ? linked.bound() : Map.of();
    }

    /** libzfs_core and libnvpair, probed once. */
    public static ZfsCore instance() {
        return Holder.INSTANCE;
    }

    public boolean isAvailable() {
        return usable;
    }

    /** Why libzfs_core cannot be used here (naming the soname and the Debian package), or empty. */
    public Optional<String> unavailableReason() {
        return usable ? Optional.empty() : library.unavailableReason();
    }

    /** Whether the zfs kernel module is loaded: {@code /dev/zfs} exists. Needs no library. */
    public static boolean kernelModuleLoaded() {
        return Files.exists(CONTROL_DEVICE);
    }

    private void ready() {
        if (!usable) {
            throw library.unavailable();
        }
        synchronized (initLock) {
            if (!initialised) {
                int rc = zfs_h.libzfs_core_init();
                if (rc != 0) {
                    throw failure("libzfs_core_init", CONTROL_DEVICE.toString(), rc,
                            rc == Libc.ENOENT ? "the zfs kernel module is not loaded (no " + CONTROL_DEVICE + ")" : null);
                }
                initialised = true;
            }
        }
    }

    // ---- datasets -----------------------------------------------------------------------

    /** {@code lzc_exists}: whether a dataset, snapshot or bookmark of that name exists. */
    public boolean exists(String name) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            return zfs_h.lzc_exists(cName(arena, name)) != 0;
        }
    }

    /**
     * {@code lzc_create}: a filesystem or volume with the given properties (values are
     * {@code Long} for numbers, {@code String} otherwise, as {@code zfs create -o} takes them
     * after parsing). A volume needs {@code volsize}.
     */
    public void create(String name, DatasetType type, Map<String, ?> properties) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment props = nvlist(arena, "lzc_create", name, properties);
            try {
                int kind = type == DatasetType.VOLUME ? zfs_h.LZC_DATSET_TYPE_ZVOL() : zfs_h.LZC_DATSET_TYPE_ZFS();
                int rc = zfs_h.lzc_create(cName(arena, name), kind, props, MemorySegment.NULL, 0);
                check(rc, "lzc_create", name);
            } finally {
                zfs_h.nvlist_free(props);
            }
        }
    }

    /** {@code lzc_destroy}: a filesystem or volume (not one with snapshots or children). */
    public void destroy(String name) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            check(zfs_h.lzc_destroy(cName(arena, name)), "lzc_destroy", name);
        }
    }

    /**
     * {@code lzc_snapshot}: the named snapshots ({@code dataset@snap}, all in one pool), made
     * atomically; on failure none is made and the exception lists each snapshot's error.
     */
    public void snapshot(Collection<String> snapshots) {
        ready();
        List<String> names = List.copyOf(snapshots);
        if (names.isEmpty()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = namesList(arena, "lzc_snapshot", names);
            MemorySegment errors = arena.allocate(ValueLayout.ADDRESS);
            try {
                int rc = zfs_h.lzc_snapshot(list, MemorySegment.NULL, errors);
                checkWithErrorList(rc, "lzc_snapshot", String.join(", ", names), errors);
            } finally {
                zfs_h.nvlist_free(list);
            }
        }
    }

    /**
     * {@code lzc_destroy_snaps}. With {@code defer}, a snapshot that still has clones is only
     * marked, and ZFS destroys it when its last clone goes ({@code zfs destroy -d}).
     */
    public void destroySnapshots(Collection<String> snapshots, boolean defer) {
        ready();
        List<String> names = List.copyOf(snapshots);
        if (names.isEmpty()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = namesList(arena, "lzc_destroy_snaps", names);
            MemorySegment errors = arena.allocate(ValueLayout.ADDRESS);
            try {
                int rc = zfs_h.lzc_destroy_snaps(list, defer ? 1 : 0, errors);
                checkWithErrorList(rc, "lzc_destroy_snaps", String.join(", ", names), errors);
            } finally {
                zfs_h.nvlist_free(list);
            }
        }
    }

    /** {@code lzc_clone}: a new dataset {@code name} sharing every block of {@code originSnapshot}. */
    public void clone(String name, String originSnapshot, Map<String, ?> properties) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment props = nvlist(arena, "lzc_clone", name, properties);
            try {
                check(zfs_h.lzc_clone(cName(arena, name), cName(arena, originSnapshot), props), "lzc_clone",
                        name + " (origin " + originSnapshot + ")");
            } finally {
                zfs_h.nvlist_free(props);
            }
        }
    }

    /** {@code lzc_rollback_to}: the dataset back to {@code snapshot}, which must be its latest. */
    public void rollbackTo(String dataset, String snapshot) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            check(zfs_h.lzc_rollback_to(cName(arena, dataset), cName(arena, snapshot)), "lzc_rollback_to",
                    dataset + " (to " + snapshot + ")");
        }
    }

    /** {@code lzc_rename}, within one pool. */
    public void rename(String from, String to) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            check(zfs_h.lzc_rename(cName(arena, from), cName(arena, to)), "lzc_rename", from + " (to " + to + ")");
        }
    }

    /**
     * {@code lzc_promote}: the clone takes over its origin's snapshots. On {@code EEXIST} the
     * message names the snapshot whose name both have.
     */
    public void promote(String clone) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment conflict = arena.allocate(MAX_NAME_BYTES + 1);
            int rc = zfs_h.lzc_promote(cName(arena, clone), conflict, (int) conflict.byteSize());
            if (rc != 0) {
                String name = conflict.getString(0);
                throw failure("lzc_promote", clone, rc, rc == Libc.EEXIST && !name.isEmpty()
                        ? "a snapshot named " + name + " exists on both" : null);
            }
        }
    }

    // ---- channel programs -----------------------------------------------------------------

    /** The default instruction limit of a channel program (as {@code zfs program} uses). */
    public static long defaultInstructionLimit() {
        return zfs_h.ZCP_DEFAULT_INSTRLIMIT();
    }

    /** The default memory limit of a channel program, which also bounds what it can return. */
    public static long defaultMemoryLimit() {
        return zfs_h.ZCP_DEFAULT_MEMLIMIT();
    }

    /**
     * {@code lzc_channel_program_nosync}: runs a Lua program read-only in the kernel, in open
     * context (so it needs no transaction group sync and can only read), and returns what it
     * returned: tables as maps in the kernel's order, numbers as {@code Long}, strings, and
     * booleans. {@code arguments} becomes the program's argument table. A Lua error fails with
     * the kernel's message (the error value the program raised, or the syntax error).
     */
    public Object channelProgram(String pool, String program, Map<String, ?> arguments, long instructionLimit,
                                 long memoryLimit) {
        ready();
        Objects.requireNonNull(program, "program");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = nvlist(arena, "lzc_channel_program_nosync", pool, arguments);
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            try {
                int rc = zfs_h.lzc_channel_program_nosync(cName(arena, pool), arena.allocateFrom(program),
                        instructionLimit, memoryLimit, args, out);
                MemorySegment result = out.get(ValueLayout.ADDRESS, 0);
                try {
                    Map<String, Object> output = result.equals(MemorySegment.NULL) ? Map.of() : read(result);
                    if (rc != 0) {
                        Object error = output.get("error");
                        throw failure("lzc_channel_program_nosync", pool, rc,
                                error == null ? null : "channel program error: " + error);
                    }
                    return output.get("return");
                } finally {
                    if (!result.equals(MemorySegment.NULL)) {
                        zfs_h.nvlist_free(result);
                    }
                }
            } finally {
                zfs_h.nvlist_free(args);
            }
        }
    }

    // ---- zvol devices ---------------------------------------------------------------------

    /**
     * The dataset a zvol block device ({@code /dev/zdN}) belongs to, asked of the device itself
     * with the {@code BLKZNAME} ioctl (udev's {@code zvol_id} does the same to make the
     * {@code /dev/zvol/...} links). Empty when the device is not a zvol. Needs no library.
     */
    public static Optional<String> zvolName(Path device) {
        Libc libc = Libc.instance();
        try (Fd fd = libc.open(device, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NONBLOCK, 0);
             Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(zfs_h.LS_ZFS_MAX_DATASET_NAME_LEN());
            libc.ioctlWithPointer(arena, "ioctl(BLKZNAME)", fd, Integer.toUnsignedLong(zfs_h.LS_BLKZNAME()), name);
            return Optional.of(name.getString(0)).filter(s -> !s.isEmpty());
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOTTY || e.errno() == Libc.EINVAL) {
                return Optional.empty();
            }
            throw e;
        }
    }

    // ---- errors ---------------------------------------------------------------------------

    /** The name of an error a libzfs_core call returned: {@code EEXIST}, {@code ZFS_ERR_BADPROP}, ... */
    public String errorName(int error) {
        String zfs = zfsErrorNames.get(error);
        return zfs != null ? zfs : Libc.instance().errnoName(error);
    }

    private void check(int rc, String function, String dataset) {
        if (rc != 0) {
            throw failure(function, dataset, rc, null);
        }
    }

    private void checkWithErrorList(int rc, String function, String datasets, MemorySegment errorsOut) {
        MemorySegment errors = errorsOut.get(ValueLayout.ADDRESS, 0);
        try {
            if (rc == 0) {
                return;
            }
            Map<String, Object> perSnapshot = errors.equals(MemorySegment.NULL) ? Map.of() : read(errors);
            StringJoiner each = new StringJoiner(", ");
            perSnapshot.forEach((name, value) -> {
                int error = value instanceof Long l ? l.intValue() : 0;
                each.add(name + ": " + errorName(error) + " (" + error + ")");
            });
            throw failure(function, datasets, rc, perSnapshot.isEmpty() ? null : "per snapshot: " + each);
        } finally {
            if (!errors.equals(MemorySegment.NULL)) {
                zfs_h.nvlist_free(errors);
            }
        }
    }

    private NativeCallException failure(String function, String dataset, int error, String detail) {
        String description = error < 1024 ? Libc.instance().strerror(error) : errorName(error);
        String message = dataset + ": " + description + (detail == null ? "" : "; " + detail);
        return new NativeCallException(SONAME, function, error, errorName(error), message);
    }

    private static Map<Integer, String> zfsErrorNames() {
        Map<Integer, String> names = new HashMap<>();
        names.put(zfs_h.ZFS_ERR_CHECKPOINT_EXISTS(), "ZFS_ERR_CHECKPOINT_EXISTS");
        names.put(zfs_h.ZFS_ERR_DISCARDING_CHECKPOINT(), "ZFS_ERR_DISCARDING_CHECKPOINT");
        names.put(zfs_h.ZFS_ERR_NO_CHECKPOINT(), "ZFS_ERR_NO_CHECKPOINT");
        names.put(zfs_h.ZFS_ERR_DEVRM_IN_PROGRESS(), "ZFS_ERR_DEVRM_IN_PROGRESS");
        names.put(zfs_h.ZFS_ERR_VDEV_TOO_BIG(), "ZFS_ERR_VDEV_TOO_BIG");
        names.put(zfs_h.ZFS_ERR_IOC_CMD_UNAVAIL(), "ZFS_ERR_IOC_CMD_UNAVAIL");
        names.put(zfs_h.ZFS_ERR_IOC_ARG_UNAVAIL(), "ZFS_ERR_IOC_ARG_UNAVAIL");
        names.put(zfs_h.ZFS_ERR_IOC_ARG_REQUIRED(), "ZFS_ERR_IOC_ARG_REQUIRED");
        names.put(zfs_h.ZFS_ERR_IOC_ARG_BADTYPE(), "ZFS_ERR_IOC_ARG_BADTYPE");
        names.put(zfs_h.ZFS_ERR_WRONG_PARENT(), "ZFS_ERR_WRONG_PARENT");
        names.put(zfs_h.ZFS_ERR_FROM_IVSET_GUID_MISSING(), "ZFS_ERR_FROM_IVSET_GUID_MISSING");
        names.put(zfs_h.ZFS_ERR_FROM_IVSET_GUID_MISMATCH(), "ZFS_ERR_FROM_IVSET_GUID_MISMATCH");
        names.put(zfs_h.ZFS_ERR_SPILL_BLOCK_FLAG_MISSING(), "ZFS_ERR_SPILL_BLOCK_FLAG_MISSING");
        names.put(zfs_h.ZFS_ERR_UNKNOWN_SEND_STREAM_FEATURE(), "ZFS_ERR_UNKNOWN_SEND_STREAM_FEATURE");
        names.put(zfs_h.ZFS_ERR_EXPORT_IN_PROGRESS(), "ZFS_ERR_EXPORT_IN_PROGRESS");
        names.put(zfs_h.ZFS_ERR_BOOKMARK_SOURCE_NOT_ANCESTOR(), "ZFS_ERR_BOOKMARK_SOURCE_NOT_ANCESTOR");
        names.put(zfs_h.ZFS_ERR_STREAM_TRUNCATED(), "ZFS_ERR_STREAM_TRUNCATED");
        names.put(zfs_h.ZFS_ERR_STREAM_LARGE_BLOCK_MISMATCH(), "ZFS_ERR_STREAM_LARGE_BLOCK_MISMATCH");
        names.put(zfs_h.ZFS_ERR_RESILVER_IN_PROGRESS(), "ZFS_ERR_RESILVER_IN_PROGRESS");
        names.put(zfs_h.ZFS_ERR_REBUILD_IN_PROGRESS(), "ZFS_ERR_REBUILD_IN_PROGRESS");
        names.put(zfs_h.ZFS_ERR_BADPROP(), "ZFS_ERR_BADPROP");
        return Map.copyOf(names);
    }

    // ---- nvlists --------------------------------------------------------------------------

    private static MemorySegment cName(Arena arena, String name) {
        Objects.requireNonNull(name, "name");
        return Libc.cString(arena, name);
    }

    private MemorySegment newList(Arena arena, String function, String dataset) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        int rc = zfs_h.nvlist_alloc(out, zfs_h.NV_UNIQUE_NAME(), 0);
        if (rc != 0) {
            throw failure(function, dataset, rc, "nvlist_alloc failed");
        }
        return out.get(ValueLayout.ADDRESS, 0);
    }

    /** A new nvlist of {@code values} (Long → uint64, String → string, Boolean.TRUE → boolean); the caller frees it. */
    private MemorySegment nvlist(Arena arena, String function, String dataset, Map<String, ?> values) {
        MemorySegment list = newList(arena, function, dataset);
        try {
            for (Map.Entry<String, ?> entry : values.entrySet()) {
                MemorySegment key = Libc.cString(arena, entry.getKey());
                int rc = switch (entry.getValue()) {
                    case Long l -> zfs_h.nvlist_add_uint64(list, key, l);
                    case Integer i -> zfs_h.nvlist_add_uint64(list, key, i.longValue());
                    case String s -> zfs_h.nvlist_add_string(list, key, Libc.cString(arena, s));
                    case Boolean b when b -> zfs_h.nvlist_add_boolean(list, key);
                    default -> throw new IllegalArgumentException("property " + entry.getKey()
                            + " has a value of an unsupported type: " + entry.getValue());
                };
                if (rc != 0) {
                    throw failure(function, dataset, rc, "adding " + entry.getKey() + " to the nvlist failed");
                }
            }
            return list;
        } catch (RuntimeException e) {
            zfs_h.nvlist_free(list);
            throw e;
        }
    }

    private MemorySegment namesList(Arena arena, String function, List<String> names) {
        Map<String, Boolean> present = new LinkedHashMap<>();
        names.forEach(n -> present.put(n, Boolean.TRUE));
        return nvlist(arena, function, String.join(", ", names), present);
    }

    /** An nvlist as a map, nested lists as maps; types libstorage never reads are kept as their type number. */
    private Map<String, Object> read(MemorySegment list) {
        Map<String, Object> values = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment pointer = arena.allocate(ValueLayout.ADDRESS);
            for (MemorySegment pair = zfs_h.nvlist_next_nvpair(list, MemorySegment.NULL);
                 !pair.equals(MemorySegment.NULL); pair = zfs_h.nvlist_next_nvpair(list, pair)) {
                String name = zfs_h.nvpair_name(pair).reinterpret(Long.MAX_VALUE).getString(0);
                int type = zfs_h.nvpair_type(pair);
                Object v;
                if (type == zfs_h.DATA_TYPE_UINT64()) {
                    zfs_h.nvpair_value_uint64(pair, value);
                    v = value.get(ValueLayout.JAVA_LONG, 0);
                } else if (type == zfs_h.DATA_TYPE_INT64()) {
                    zfs_h.nvpair_value_int64(pair, value);
                    v = value.get(ValueLayout.JAVA_LONG, 0);
                } else if (type == zfs_h.DATA_TYPE_INT32()) {
                    zfs_h.nvpair_value_int32(pair, value);
                    v = (long) value.get(ValueLayout.JAVA_INT, 0);
                } else if (type == zfs_h.DATA_TYPE_UINT32()) {
                    zfs_h.nvpair_value_uint32(pair, value);
                    v = Integer.toUnsignedLong(value.get(ValueLayout.JAVA_INT, 0));
                } else if (type == zfs_h.DATA_TYPE_STRING()) {
                    zfs_h.nvpair_value_string(pair, pointer);
                    v = pointer.get(ValueLayout.ADDRESS, 0).reinterpret(Long.MAX_VALUE).getString(0);
                } else if (type == zfs_h.DATA_TYPE_BOOLEAN_VALUE()) {
                    zfs_h.nvpair_value_boolean_value(pair, value);
                    v = value.get(ValueLayout.JAVA_INT, 0) != 0;
                } else if (type == zfs_h.DATA_TYPE_BOOLEAN()) {
                    v = Boolean.TRUE;
                } else if (type == zfs_h.DATA_TYPE_NVLIST()) {
                    zfs_h.nvpair_value_nvlist(pair, pointer);
                    v = read(pointer.get(ValueLayout.ADDRESS, 0));
                } else {
                    v = new UnreadValue(type);
                }
                values.put(name, v);
            }
        }
        return Collections.unmodifiableMap(values);
    }

    /** An nvpair of a type this wrapper does not convert (arrays, bytes, doubles, ...). */
    public record UnreadValue(int dataType) {
    }
}
