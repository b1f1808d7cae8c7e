package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.libstorage.bindings.fdisk.fdisk_h;

/**
 * libfdisk ({@code libfdisk.so.1}, Debian {@code libfdisk1}): reads and edits gpt and dos
 * partition tables as {@code fdisk(8)} does, with the library's default alignment, and tells
 * the kernel about the changes. One immutable, thread-safe instance: {@link #instance()}.
 *
 * <p>libfdisk returns negative errno values rather than setting errno; they are reported as
 * the errno of the {@link NativeCallException}. Every operation opens the device, works, and
 * closes it again: nothing is kept between calls.
 */
public final class Fdisk {
    public static final String SONAME = "libfdisk.so.1";
    public static final String DEBIAN_PACKAGE = "libfdisk1";

    private static final class Holder {
        static final Fdisk INSTANCE = new Fdisk(NativeLibrary.probe("libfdisk", SONAME, DEBIAN_PACKAGE));
    }

    private final NativeLibrary library;

    Fdisk(NativeLibrary library) {
        // Initialises fdisk_h (whose static initialiser loads the library) only now.
        this.library = library.link(() -> List.of(fdisk_h.fdisk_reread_changes$address(),
                fdisk_h.fdisk_get_freespaces$address())).library();
    }

    /** libfdisk, probed once. */
    public static Fdisk instance() {
        return Holder.INSTANCE;
    }

    public boolean isAvailable() {
        return library.isAvailable();
    }

    /** Why libfdisk cannot be used here (naming the soname and Debian package), or empty. */
    public Optional<String> unavailableReason() {
        return library.unavailableReason();
    }

    /**
     * A device's partition table.
     *
     * @param type        {@code gpt} or {@code dos} (libfdisk's label names)
     * @param sectorSize  logical sector size in bytes
     * @param firstUsable first byte partitions may use
     * @param lastUsable  last byte partitions may use (inclusive)
     * @param grain       the alignment libfdisk applies to new partitions, in bytes
     * @param maxPartitions the number of partition slots (128 for gpt, 4 primaries for dos)
     */
    public record Label(String type, long sectorSize, long firstUsable, long lastUsable, long grain,
                        long maxPartitions, List<Partition> partitions, List<FreeSpace> freeSpaces) {
        public Label {
            Objects.requireNonNull(type, "type");
            partitions = List.copyOf(partitions);
            freeSpaces = List.copyOf(freeSpaces);
        }
    }

    /**
     * One partition.
     *
     * @param number     the kernel's partition number ({@code 1} for {@code /dev/loop3p1})
     * @param typeString the type as libfdisk spells it: a GUID for gpt, a hex code such as {@code 83} for dos
     * @param typeName   libfdisk's human name of the type ("Linux filesystem", "Linux LVM", ...)
     * @param typeCode   the dos type byte (0 for gpt)
     * @param uuid       the partition's own UUID (gpt)
     * @param name       the gpt partition name
     * @param container  a dos extended partition (holds logical ones, no data)
     */
    public record Partition(int number, long startBytes, long sizeBytes, Optional<String> typeString,
                            Optional<String> typeName, int typeCode, Optional<String> uuid, Optional<String> name,
                            boolean container) {
        public Partition {
            Objects.requireNonNull(typeString, "typeString");
            Objects.requireNonNull(typeName, "typeName");
            Objects.requireNonNull(uuid, "uuid");
            Objects.requireNonNull(name, "name");
        }

        public long endBytes() {
            return startBytes + sizeBytes;
        }
    }

    /** Unpartitioned space, as libfdisk sees it (already within the usable, aligned area). */
    public record FreeSpace(long startBytes, long sizeBytes) {
        public long endBytes() {
            return startBytes + sizeBytes;
        }
    }

    /** The library's version, such as {@code 2.38.1}. */
    public String libraryVersion() {
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(fdisk_h.C_POINTER);
            fdisk_h.fdisk_get_library_version(out);
            return out.get(fdisk_h.C_POINTER, 0).getString(0);
        }
    }

    /** The partition table on {@code device}, or empty when libfdisk finds none. Read-only. */
    public Optional<Label> readLabel(Path device) {
        Objects.requireNonNull(device, "device");
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined(); Handle cxt = open(arena, device, true)) {
            if (fdisk_h.fdisk_has_label(cxt.segment()) == 0) {
                return Optional.empty();
            }
            return Optional.of(label(arena, cxt.segment()));
        }
    }

    /**
     * Writes a new, empty partition table of {@code type} ({@code gpt} or {@code dos}) and makes
     * the kernel re-read it. Replaces any table there: the caller checks for data first.
     */
    public Label createLabel(Path device, String type) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(type, "type");
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined(); Handle cxt = open(arena, device, false)) {
            MemorySegment c = cxt.segment();
            boolean hadLabel = fdisk_h.fdisk_has_label(c) != 0;
            try (Handle before = hadLabel ? partitionTable(arena, c, "fdisk_get_partitions", device)
                    : new Handle(MemorySegment.NULL, fdisk_h::fdisk_unref_table)) {
                check("fdisk_create_disklabel", fdisk_h.fdisk_create_disklabel(c, Libc.cString(arena, type)), device);
                check("fdisk_write_disklabel", fdisk_h.fdisk_write_disklabel(c), device);
                // Removing the old partitions one by one (BLKPG) works on kernels without
                // partition-table parsers, where a whole re-read would keep stale nodes.
                if (hadLabel) {
                    check("fdisk_reread_changes", fdisk_h.fdisk_reread_changes(c, before.segment()), device);
                } else {
                    check("fdisk_reread_partition_table", fdisk_h.fdisk_reread_partition_table(c), device);
                }
            }
            return label(arena, c);
        }
    }

    /**
     * Adds a partition of {@code sizeBytes} (rounded up to whole sectors) at the first free,
     * aligned place, with {@code type} as libfdisk spells it for the label (a GUID for gpt, a
     * hex code for dos), and tells the kernel about it (only the change, so mounted siblings do
     * not block it). Returns the new partition as the table now holds it.
     *
     * @param number the partition number to use, or 0 for the first free one
     */
    public Partition addPartition(Path device, long sizeBytes, String type, int number) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(type, "type");
        if (sizeBytes <= 0) {
            throw new IllegalArgumentException("partition size must be positive: " + sizeBytes);
        }
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined(); Handle cxt = open(arena, device, false)) {
            MemorySegment c = cxt.segment();
            requireLabel(c, device);
            long sector = fdisk_h.fdisk_get_sector_size(c);
            try (Handle before = partitionTable(arena, c, "fdisk_get_partitions", device);
                 Handle partition = new Handle(fdisk_h.fdisk_new_partition(), fdisk_h::fdisk_unref_partition);
                 Handle partType = new Handle(partitionType(arena, c, type), fdisk_h::fdisk_unref_parttype)) {
                MemorySegment pa = partition.segment();
                if (isNull(pa)) {
                    throw new NativeCallException(SONAME, "fdisk_new_partition", 0, "", "out of memory");
                }
                if (isNull(partType.segment())) {
                    throw new NativeCallException(SONAME, "fdisk_label_get_parttype_from_string", 0, "",
                            "unknown partition type '" + type + "'");
                }
                check("fdisk_partition_set_size", fdisk_h.fdisk_partition_set_size(pa, (sizeBytes + sector - 1) / sector), device);
                check("fdisk_partition_start_follow_default", fdisk_h.fdisk_partition_start_follow_default(pa, 1), device);
                Label current = label(arena, c);
                if (number == 0 && current.type().equals("dos")) {
                    // Without a number libfdisk would ask (primary or extended?) and, with no
                    // one to answer, fail: take the first free primary slot.
                    number = firstFreeNumber(current, device);
                }
                if (number > 0) {
                    check("fdisk_partition_set_partno", fdisk_h.fdisk_partition_set_partno(pa, number - 1), device);
                } else {
                    check("fdisk_partition_partno_follow_default", fdisk_h.fdisk_partition_partno_follow_default(pa, 1), device);
                }
                check("fdisk_partition_set_type", fdisk_h.fdisk_partition_set_type(pa, partType.segment()), device);
                MemorySegment partno = arena.allocate(ValueLayout.JAVA_LONG);
                check("fdisk_add_partition", fdisk_h.fdisk_add_partition(c, pa, partno), device);
                int added = (int) partno.get(ValueLayout.JAVA_LONG, 0) + 1;
                Partition result = label(arena, c).partitions().stream().filter(p -> p.number() == added).findFirst()
                        .orElseThrow(() -> new NativeCallException(SONAME, "fdisk_add_partition", 0, "",
                                "partition " + added + " is not in the table after adding it on " + device));
                long wanted = (sizeBytes + sector - 1) / sector * sector;
                if (result.sizeBytes() < wanted) {
                    // libfdisk shrinks a partition to the free space it lands in; refuse before writing.
                    int enospc = Libc.ENOSPC;
                    throw new NativeCallException(SONAME, "fdisk_add_partition", enospc,
                            Libc.instance().errnoName(enospc), "only " + result.sizeBytes() + " of the " + wanted
                                    + " bytes asked for fit in the free space at byte " + result.startBytes()
                                    + " of " + device);
                }
                check("fdisk_write_disklabel", fdisk_h.fdisk_write_disklabel(c), device);
                check("fdisk_reread_changes", fdisk_h.fdisk_reread_changes(c, before.segment()), device);
                return result;
            }
        }
    }

    /** Deletes partition {@code number} (1-based) and tells the kernel (only this change). */
    public void deletePartition(Path device, int number) {
        Objects.requireNonNull(device, "device");
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined(); Handle cxt = open(arena, device, false)) {
            MemorySegment c = cxt.segment();
            requireLabel(c, device);
            try (Handle before = partitionTable(arena, c, "fdisk_get_partitions", device)) {
                check("fdisk_delete_partition", fdisk_h.fdisk_delete_partition(c, number - 1), device);
                check("fdisk_write_disklabel", fdisk_h.fdisk_write_disklabel(c), device);
                check("fdisk_reread_changes", fdisk_h.fdisk_reread_changes(c, before.segment()), device);
            }
        }
    }

    private Handle open(Arena arena, Path device, boolean readOnly) {
        MemorySegment c = fdisk_h.fdisk_new_context();
        if (isNull(c)) {
            throw new NativeCallException(SONAME, "fdisk_new_context", 0, "", "out of memory");
        }
        Handle context = new Handle(c, cxt -> {
            // nosync: fsync the device but skip the global sync(2) fdisk(8) does on exit.
            fdisk_h.fdisk_deassign_device(cxt, 1);
            fdisk_h.fdisk_unref_context(cxt);
        });
        int rc = fdisk_h.fdisk_assign_device(c, Libc.cString(arena, device.toString()), readOnly ? 1 : 0);
        if (rc != 0) {
            fdisk_h.fdisk_unref_context(c);
            throw failure("fdisk_assign_device", rc, device);
        }
        return context;
    }

    private static int firstFreeNumber(Label label, Path device) {
        for (int n = 1; n <= label.maxPartitions(); n++) {
            int candidate = n;
            if (label.partitions().stream().noneMatch(p -> p.number() == candidate)) {
                return n;
            }
        }
        int enospc = Libc.ENOSPC;
        throw new NativeCallException(SONAME, "fdisk_add_partition", enospc, Libc.instance().errnoName(enospc),
                "all " + label.maxPartitions() + " partition slots of the " + label.type() + " table on " + device
                        + " are in use");
    }

    /** gpt types are GUID strings; dos types are codes, given here in hex such as {@code 83}. */
    private static MemorySegment partitionType(Arena arena, MemorySegment c, String type) {
        MemorySegment label = fdisk_h.fdisk_get_label(c, MemorySegment.NULL);
        String labelName = string(fdisk_h.fdisk_label_get_name(label)).orElse("");
        if (labelName.equals("dos")) {
            int code;
            try {
                code = Integer.parseInt(type.startsWith("0x") ? type.substring(2) : type, 16);
            } catch (NumberFormatException e) {
                return MemorySegment.NULL;
            }
            return fdisk_h.fdisk_label_get_parttype_from_code(label, code);
        }
        return fdisk_h.fdisk_label_get_parttype_from_string(label, Libc.cString(arena, type));
    }

    private static void requireLabel(MemorySegment c, Path device) {
        if (fdisk_h.fdisk_has_label(c) == 0) {
            throw new NativeCallException(SONAME, "fdisk_has_label", 0, "", "no partition table on " + device);
        }
    }

    private Label label(Arena arena, MemorySegment c) {
        long sector = fdisk_h.fdisk_get_sector_size(c);
        String type = string(fdisk_h.fdisk_label_get_name(fdisk_h.fdisk_get_label(c, MemorySegment.NULL))).orElse("");
        List<Partition> partitions = new ArrayList<>();
        List<FreeSpace> free = new ArrayList<>();
        try (Handle table = partitionTable(arena, c, "fdisk_get_partitions", null)) {
            each(arena, table.segment(), pa -> {
                if (fdisk_h.fdisk_partition_has_partno(pa) == 0 || fdisk_h.fdisk_partition_is_used(pa) == 0) {
                    return;
                }
                MemorySegment t = fdisk_h.fdisk_partition_get_type(pa);
                partitions.add(new Partition((int) fdisk_h.fdisk_partition_get_partno(pa) + 1,
                        fdisk_h.fdisk_partition_get_start(pa) * sector, fdisk_h.fdisk_partition_get_size(pa) * sector,
                        isNull(t) ? Optional.empty() : string(fdisk_h.fdisk_parttype_get_string(t)),
                        isNull(t) ? Optional.empty() : string(fdisk_h.fdisk_parttype_get_name(t)),
                        isNull(t) ? 0 : fdisk_h.fdisk_parttype_get_code(t),
                        string(fdisk_h.fdisk_partition_get_uuid(pa)), string(fdisk_h.fdisk_partition_get_name(pa)),
                        fdisk_h.fdisk_partition_is_container(pa) != 0));
            });
        }
        try (Handle table = partitionTable(arena, c, "fdisk_get_freespaces", null)) {
            each(arena, table.segment(), pa -> free.add(new FreeSpace(fdisk_h.fdisk_partition_get_start(pa) * sector,
                    fdisk_h.fdisk_partition_get_size(pa) * sector)));
        }
        return new Label(type, sector, fdisk_h.fdisk_get_first_lba(c) * sector,
                (fdisk_h.fdisk_get_last_lba(c) + 1) * sector - 1, fdisk_h.fdisk_get_grain_size(c),
                fdisk_h.fdisk_get_npartitions(c), partitions, free);
    }

    private Handle partitionTable(Arena arena, MemorySegment c, String function, Path device) {
        MemorySegment out = arena.allocate(fdisk_h.C_POINTER);
        out.set(fdisk_h.C_POINTER, 0, MemorySegment.NULL);
        int rc = function.equals("fdisk_get_freespaces") ? fdisk_h.fdisk_get_freespaces(c, out)
                : fdisk_h.fdisk_get_partitions(c, out);
        MemorySegment table = out.get(fdisk_h.C_POINTER, 0);
        if (rc != 0 && rc != 1) {
            if (!isNull(table)) {
                fdisk_h.fdisk_unref_table(table);
            }
            throw failure(function, rc, device);
        }
        return new Handle(table, fdisk_h::fdisk_unref_table);
    }

    private static void each(Arena arena, MemorySegment table, Consumer<MemorySegment> action) {
        if (isNull(table)) {
            return;
        }
        try (Handle iter = new Handle(fdisk_h.fdisk_new_iter(fdisk_h.FDISK_ITER_FORWARD()), fdisk_h::fdisk_free_iter)) {
            MemorySegment out = arena.allocate(fdisk_h.C_POINTER);
            while (fdisk_h.fdisk_table_next_partition(table, iter.segment(), out) == 0) {
                action.accept(out.get(fdisk_h.C_POINTER, 0));
            }
        }
    }

    private static void check(String function, int rc, Path device) {
        if (rc < 0) {
            throw failure(function, rc, device);
        }
    }

    private static NativeCallException failure(String function, int rc, Path device) {
        int errno = rc < 0 ? -rc : 0;
        Libc libc = Libc.instance();
        String message = errno != 0 ? libc.strerror(errno) : "failed (" + rc + ")";
        if (device != null) {
            message += ": " + device;
        }
        return new NativeCallException(SONAME, function, errno, errno == 0 ? "" : libc.errnoName(errno), message);
    }

    private static boolean isNull(MemorySegment segment) {
        return segment == null || segment.equals(MemorySegment.NULL);
    }

    private static Optional<String> string(MemorySegment cString) {
        return isNull(cString) ? Optional.empty() : Optional.of(cString.getString(0)).filter(s -> !s.isEmpty());
    }

    /** A libfdisk object released once by its own unref/free function. */
    private static final class Handle implements AutoCloseable {
        private final MemorySegment segment;
        private final Consumer<MemorySegment> release;
        private final AtomicBoolean closed = new AtomicBoolean();

        Handle(MemorySegment segment, Consumer<MemorySegment> release) {
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
