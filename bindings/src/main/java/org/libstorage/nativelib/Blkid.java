package org.libstorage.nativelib;

import static org.libstorage.nativelib.Downcalls.captureSegment;
import static org.libstorage.nativelib.Downcalls.capturingErrno;
import static org.libstorage.nativelib.Downcalls.errno;
import static org.libstorage.nativelib.Downcalls.unchecked;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.libstorage.bindings.blkid.blkid_h;

/**
 * libblkid's low-level probing ({@code libblkid.so.1}, Debian {@code libblkid1}): what a device
 * or image holds (filesystem, RAID member, partition table and its partitions), every
 * signature on it, and wiping those signatures. Works on block devices and regular files
 * alike. One immutable, thread-safe instance: {@link #instance()}; when the library is
 * missing it says so through {@link #isAvailable()} and every operation throws
 * {@link LibraryUnavailableException}.
 */
public final class Blkid {
    public static final String SONAME = "libblkid.so.1";
    public static final String DEBIAN_PACKAGE = "libblkid1";

    /** libblkid reports partition starts and sizes in 512-byte sectors, whatever the device's sector size. */
    private static final long SECTOR = 512;

    private static final class Holder {
        static final Blkid INSTANCE = new Blkid(NativeLibrary.probe("libblkid", SONAME, DEBIAN_PACKAGE));
    }

    private final NativeLibrary library;
    private final Calls calls;

    /** The errno-capturing handles; null when the library is unavailable. */
    private record Calls(MethodHandle newProbeFromFilename, MethodHandle probeSetDevice, MethodHandle doSafeprobe,
                         MethodHandle doProbe, MethodHandle doWipe, AddressLayout pointer) {
    }

    Blkid(NativeLibrary library) {
        // Only now is blkid_h initialised: its static initialiser loads the library.
        NativeLibrary.Linked<Calls> linked = library.link(() -> new Calls(
                capturingErrno(blkid_h.blkid_new_probe_from_filename$address(),
                        blkid_h.blkid_new_probe_from_filename$descriptor()),
                capturingErrno(blkid_h.blkid_probe_set_device$address(), blkid_h.blkid_probe_set_device$descriptor()),
                capturingErrno(blkid_h.blkid_do_safeprobe$address(), blkid_h.blkid_do_safeprobe$descriptor()),
                capturingErrno(blkid_h.blkid_do_probe$address(), blkid_h.blkid_do_probe$descriptor()),
                capturingErrno(blkid_h.blkid_do_wipe$address(), blkid_h.blkid_do_wipe$descriptor()),
                blkid_h.C_POINTER));
        this.library = linked.library();
        this.calls = linked.bound();
    }

    /** libblkid, probed once. */
    public static Blkid instance() {
        return Holder.INSTANCE;
    }

    public boolean isAvailable() {
        return calls != null;
    }

    /** Why libblkid cannot be used here (naming the soname and Debian package), or empty. */
    public Optional<String> unavailableReason() {
        return isAvailable() ? Optional.empty() : library.unavailableReason();
    }

    private Calls calls() {
        if (calls == null) {
            throw library.unavailable();
        }
        return calls;
    }

    /** The library's version, such as {@code 2.38.1}. */
    public String libraryVersion() {
        Calls c = calls();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment version = arena.allocate(c.pointer());
            MemorySegment date = arena.allocate(c.pointer());
            blkid_h.blkid_get_library_version(version, date);
            return version.get(c.pointer(), 0).getString(0);
        }
    }

    /** Whether libblkid knows a filesystem (superblock) type by this name, such as {@code ext4}. */
    public boolean knownFilesystemType(String type) {
        Objects.requireNonNull(type, "type");
        calls();
        try (Arena arena = Arena.ofConfined()) {
            return blkid_h.blkid_known_fstype(Libc.cString(arena, type)) != 0;
        }
    }

    /** Whether libblkid knows a partition table type by this name, such as {@code gpt} or {@code dos}. */
    public boolean knownPartitionTableType(String type) {
        Objects.requireNonNull(type, "type");
        calls();
        try (Arena arena = Arena.ofConfined()) {
            return blkid_h.blkid_known_pttype(Libc.cString(arena, type)) != 0;
        }
    }

    // ---- results ------------------------------------------------------------------------

    /**
     * What {@code blkid -p} reports for a device: its values ({@code TYPE}, {@code USAGE},
     * {@code UUID}, {@code LABEL}, {@code VERSION}, {@code SEC_TYPE}, {@code PTTYPE},
     * {@code PTUUID}, {@code PART_ENTRY_*} for a partition, ...) in libblkid's order, and its
     * partition table.
     *
     * @param ambivalent several signatures compete (say, two filesystems) and libblkid
     *                   refuses to pick one; {@code values} is then empty: see {@link #signatures}
     * @param size       bytes libblkid probed (the file or device size)
     */
    public record Probe(Map<String, String> values, Optional<PartitionTable> partitionTable,
                        List<Partition> partitions, boolean ambivalent, long size, int sectorSize) {
        public Probe {
            values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
            Objects.requireNonNull(partitionTable, "partitionTable");
            partitions = List.copyOf(partitions);
        }

        public Optional<String> value(String name) {
            return Optional.ofNullable(values.get(name));
        }

        /** The filesystem or other content type, such as {@code ext4}, {@code xfs}, {@code LVM2_member}. */
        public Optional<String> type() {
            return value("TYPE");
        }

        /** {@code filesystem}, {@code raid}, {@code crypto} or {@code other}. */
        public Optional<String> usage() {
            return value("USAGE");
        }

        public Optional<String> uuid() {
            return value("UUID");
        }

        public Optional<String> label() {
            return value("LABEL");
        }

        public Optional<String> version() {
            return value("VERSION");
        }

        public Optional<String> secondaryType() {
            return value("SEC_TYPE");
        }

        /** The partition table type, such as {@code gpt} or {@code dos}. */
        public Optional<String> partitionTableType() {
            return value("PTTYPE");
        }

        public Optional<String> partitionTableUuid() {
            return value("PTUUID");
        }

        /** Nothing recognisable: no filesystem, no partition table, no other signature. */
        public boolean isEmpty() {
            return values.isEmpty() && !ambivalent;
        }
    }

    /**
     * @param type   {@code gpt}, {@code dos}, ...
     * @param id     the table's identifier (GPT disk GUID, DOS disk id), when it has one
     * @param offset byte offset of the table on the device
     */
    public record PartitionTable(String type, Optional<String> id, long offset) {
        public PartitionTable {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(id, "id");
        }
    }

    /**
     * One partition.
     *
     * @param typeString the type as text: the GPT type GUID, or for DOS the hex type code
     * @param typeCode   the DOS partition type byte (0 for GPT)
     * @param name       the GPT partition name, when set
     * @param uuid       the partition's own UUID (PARTUUID)
     * @param flags      GPT attribute bits or DOS boot flag
     */
    public record Partition(int number, long startBytes, long sizeBytes, Optional<String> typeString, int typeCode,
                            Optional<String> name, Optional<String> uuid, long flags, boolean logical) {
        public Partition {
            Objects.requireNonNull(typeString, "typeString");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(uuid, "uuid");
        }

        public long endBytes() {
            return startBytes + sizeBytes;
        }
    }

    /**
     * One signature found on a device, as {@code wipefs} lists them.
     *
     * @param type   {@code ext4}, {@code xfs}, {@code gpt}, {@code PMBR}, ...
     * @param usage  {@code filesystem}, {@code raid}, {@code crypto}, {@code other}, or
     *               {@code partition table}
     * @param offset byte offset of the magic on the device
     * @param magic  the magic bytes, in lower-case hex
     */
    public record Signature(String type, String usage, long offset, String magic, Optional<String> uuid,
                            Optional<String> label) {
        public Signature {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(usage, "usage");
            Objects.requireNonNull(magic, "magic");
            Objects.requireNonNull(uuid, "uuid");
            Objects.requireNonNull(label, "label");
        }

        public boolean isPartitionTable() {
            return usage.equals("partition table");
        }
    }

    /**
     * A device's I/O geometry. For a regular file libblkid reports 512-byte sectors and no
     * I/O hints (zeros).
     */
    public record Topology(long logicalSectorSize, long physicalSectorSize, long minimumIoSize, long optimalIoSize,
                           long alignmentOffset) {
    }

    // ---- operations ---------------------------------------------------------------------

    /** The device's sector sizes and I/O hints (libblkid's topology chain). */
    public Topology topology(Path device) {
        Objects.requireNonNull(device, "device");
        Calls c = calls();
        try (Arena arena = Arena.ofConfined(); ProbeHandle pr = openProbe(c, arena, device)) {
            MemorySegment p = pr.segment();
            blkid_h.blkid_probe_enable_superblocks(p, 0);
            blkid_h.blkid_probe_enable_partitions(p, 0);
            blkid_h.blkid_probe_enable_topology(p, 1);
            MemorySegment tp = blkid_h.blkid_probe_get_topology(p);
            if (isNull(tp)) {
                throw new NativeCallException(SONAME, "blkid_probe_get_topology", 0, "",
                        "no topology for " + device);
            }
            return new Topology(
                    blkid_h.blkid_topology_get_logical_sector_size(tp),
                    blkid_h.blkid_topology_get_physical_sector_size(tp),
                    blkid_h.blkid_topology_get_minimum_io_size(tp),
                    blkid_h.blkid_topology_get_optimal_io_size(tp),
                    blkid_h.blkid_topology_get_alignment_offset(tp));
        }
    }

    /** Probes a device or image the way {@code blkid -p} does. */
    public Probe probe(Path device) {
        Objects.requireNonNull(device, "device");
        Calls c = calls();
        try (Arena arena = Arena.ofConfined(); ProbeHandle pr = openProbe(c, arena, device)) {
            MemorySegment p = pr.segment();
            blkid_h.blkid_probe_enable_superblocks(p, 1);
            blkid_h.blkid_probe_set_superblocks_flags(p, blkid_h.BLKID_SUBLKS_LABEL() | blkid_h.BLKID_SUBLKS_UUID()
                    | blkid_h.BLKID_SUBLKS_TYPE() | blkid_h.BLKID_SUBLKS_SECTYPE() | blkid_h.BLKID_SUBLKS_USAGE()
                    | blkid_h.BLKID_SUBLKS_VERSION());
            blkid_h.blkid_probe_enable_partitions(p, 1);
            blkid_h.blkid_probe_set_partitions_flags(p, blkid_h.BLKID_PARTS_ENTRY_DETAILS());
            int rc = call(c.doSafeprobe(), arena, "blkid_do_safeprobe", p);
            boolean ambivalent = rc == -2;
            Map<String, String> values = rc == 0 ? values(c, arena, p) : Map.of();
            long size = blkid_h.blkid_probe_get_size(p);
            int sectorSize = blkid_h.blkid_probe_get_sectorsize(p);

            Optional<PartitionTable> table = Optional.empty();
            List<Partition> partitions = new ArrayList<>();
            MemorySegment list = blkid_h.blkid_probe_get_partitions(p);
            if (!isNull(list)) {
                MemorySegment tab = blkid_h.blkid_partlist_get_table(list);
                if (!isNull(tab)) {
                    table = Optional.of(new PartitionTable(string(blkid_h.blkid_parttable_get_type(tab)).orElse(""),
                            string(blkid_h.blkid_parttable_get_id(tab)), blkid_h.blkid_parttable_get_offset(tab)));
                }
                int n = blkid_h.blkid_partlist_numof_partitions(list);
                for (int i = 0; i < n; i++) {
                    MemorySegment par = blkid_h.blkid_partlist_get_partition(list, i);
                    partitions.add(new Partition(
                            blkid_h.blkid_partition_get_partno(par),
                            blkid_h.blkid_partition_get_start(par) * SECTOR,
                            blkid_h.blkid_partition_get_size(par) * SECTOR,
                            string(blkid_h.blkid_partition_get_type_string(par)),
                            blkid_h.blkid_partition_get_type(par),
                            string(blkid_h.blkid_partition_get_name(par)),
                            string(blkid_h.blkid_partition_get_uuid(par)),
                            blkid_h.blkid_partition_get_flags(par),
                            blkid_h.blkid_partition_is_logical(par) != 0));
                }
            }
            return new Probe(values, table, partitions, ambivalent, size, sectorSize);
        }
    }

    /** Every signature on a device (filesystems, RAID/LVM members, partition tables), as {@code wipefs} lists them. */
    public List<Signature> signatures(Path device) {
        Objects.requireNonNull(device, "device");
        Calls c = calls();
        try (Arena arena = Arena.ofConfined(); ProbeHandle pr = openProbe(c, arena, device)) {
            enableSignatureWalk(pr.segment());
            List<Signature> found = new ArrayList<>();
            MemorySegment p = pr.segment();
            while (call(c.doProbe(), arena, "blkid_do_probe", p) == 0) {
                Optional<Signature> signature = signature(c, arena, p);
                if (signature.isPresent()) {
                    found.add(signature.get());
                    // Hide this magic in libblkid's buffers and probe the same step again, so
                    // further copies (backup GPT header, protective MBR) are found too.
                    blkid_h.blkid_probe_hide_range(p, signature.get().offset(), signature.get().magic().length() / 2);
                    blkid_h.blkid_probe_step_back(p);
                }
            }
            return List.copyOf(found);
        }
    }

    /**
     * Erases every signature on a device, as {@code wipefs --all} does: only the magic bytes,
     * so data stays but nothing recognises it. The device is opened {@code O_EXCL}, so a
     * mounted or otherwise claimed block device fails with {@code EBUSY}. Returns what was wiped.
     */
    public List<Signature> wipeSignatures(Path device) {
        Objects.requireNonNull(device, "device");
        Calls c = calls();
        Libc libc = Libc.instance();
        List<Signature> wiped = new ArrayList<>();
        try (Fd fd = libc.open(device, Libc.O_RDWR | Libc.O_EXCL, 0);
             Arena arena = Arena.ofConfined();
             ProbeHandle pr = new ProbeHandle(blkid_h.blkid_new_probe())) {
            MemorySegment p = pr.segment();
            if (isNull(p)) {
                throw new NativeCallException(SONAME, "blkid_new_probe", 0, "", "out of memory");
            }
            MemorySegment setErr = captureSegment(arena);
            if (setDevice(c.probeSetDevice(), setErr, p, fd.value()) != 0) {
                throw failure("blkid_probe_set_device", errno(setErr), device);
            }
            enableSignatureWalk(p);
            boolean partitionTableWiped = false;
            while (call(c.doProbe(), arena, "blkid_do_probe", p) == 0) {
                Optional<Signature> signature = signature(c, arena, p);
                MemorySegment err = captureSegment(arena);
                int rc = invokeWipe(c.doWipe(), err, p);
                if (rc != 0) {
                    int e = errno(err);
                    throw new NativeCallException(SONAME, "blkid_do_wipe", e, e == 0 ? "" : libc.errnoName(e),
                            (e == 0 ? "failed" : libc.strerror(e)) + signature.map(s -> " wiping " + s.type()
                                    + " at offset " + s.offset()).orElse(""));
                }
                signature.ifPresent(wiped::add);
                partitionTableWiped |= signature.map(Signature::isPartitionTable).orElse(false);
            }
            libc.fsync(fd);
            if (partitionTableWiped && libc.statx(fd).isBlockDevice()) {
                try {
                    libc.rereadPartitions(fd);
                } catch (NativeCallException e) {
                    // The kernel keeps the old partitions while one is in use; the table is still gone.
                }
            }
        }
        return List.copyOf(wiped);
    }

    private static void enableSignatureWalk(MemorySegment p) {
        blkid_h.blkid_probe_enable_superblocks(p, 1);
        blkid_h.blkid_probe_set_superblocks_flags(p, blkid_h.BLKID_SUBLKS_MAGIC() | blkid_h.BLKID_SUBLKS_TYPE()
                | blkid_h.BLKID_SUBLKS_USAGE() | blkid_h.BLKID_SUBLKS_LABEL() | blkid_h.BLKID_SUBLKS_UUID()
                | blkid_h.BLKID_SUBLKS_BADCSUM());
        blkid_h.blkid_probe_enable_partitions(p, 1);
        blkid_h.blkid_probe_set_partitions_flags(p, blkid_h.BLKID_PARTS_MAGIC() | blkid_h.BLKID_PARTS_FORCE_GPT());
    }

    /** The signature the last {@code blkid_do_probe} step found, read from its values. */
    private Optional<Signature> signature(Calls c, Arena arena, MemorySegment p) {
        Map<String, byte[]> raw = rawValues(c, arena, p);
        boolean partitionTable = !raw.containsKey("TYPE") && raw.containsKey("PTTYPE");
        String type = text(raw.get(partitionTable ? "PTTYPE" : "TYPE"));
        byte[] magic = raw.get(partitionTable ? "PTMAGIC" : "SBMAGIC");
        String offset = text(raw.get(partitionTable ? "PTMAGIC_OFFSET" : "SBMAGIC_OFFSET"));
        if (type == null || magic == null || offset == null) {
            return Optional.empty();
        }
        String usage = partitionTable ? "partition table" : Objects.requireNonNullElse(text(raw.get("USAGE")), "other");
        return Optional.of(new Signature(type, usage, Long.parseLong(offset), HexFormat.of().formatHex(magic),
                Optional.ofNullable(text(raw.get("UUID"))), Optional.ofNullable(text(raw.get("LABEL")))));
    }

    private Map<String, String> values(Calls c, Arena arena, MemorySegment p) {
        Map<String, String> values = new LinkedHashMap<>();
        rawValues(c, arena, p).forEach((name, data) -> values.put(name, text(data)));
        return values;
    }

    /** The probe's name/value pairs; values are bytes because magic strings are binary. */
    private static Map<String, byte[]> rawValues(Calls c, Arena arena, MemorySegment p) {
        Map<String, byte[]> values = new LinkedHashMap<>();
        MemorySegment name = arena.allocate(c.pointer());
        MemorySegment data = arena.allocate(c.pointer());
        MemorySegment length = arena.allocate(ValueLayout.JAVA_LONG);
        int n = blkid_h.blkid_probe_numof_values(p);
        for (int i = 0; i < n; i++) {
            if (blkid_h.blkid_probe_get_value(p, i, name, data, length) != 0) {
                continue;
            }
            long len = length.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment bytes = data.get(c.pointer(), 0);
            values.put(name.get(c.pointer(), 0).getString(0),
                    isNull(bytes) ? new byte[0] : bytes.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE));
        }
        return values;
    }

    /** A value as text: libblkid counts the terminating NUL of strings in their length. */
    private static String text(byte[] data) {
        if (data == null) {
            return null;
        }
        int end = data.length;
        while (end > 0 && data[end - 1] == 0) {
            end--;
        }
        return new String(data, 0, end, StandardCharsets.UTF_8);
    }

    private ProbeHandle openProbe(Calls c, Arena arena, Path device) {
        MemorySegment err = captureSegment(arena);
        MemorySegment p;
        try {
            p = (MemorySegment) c.newProbeFromFilename().invokeExact(err, Libc.cString(arena, device.toString()));
        } catch (Throwable t) {
            throw unchecked(t);
        }
        if (isNull(p)) {
            throw failure("blkid_new_probe_from_filename", errno(err), device);
        }
        return new ProbeHandle(p);
    }

    /** Runs an {@code int f(blkid_probe)} step; negative results other than -2 (ambivalent) throw. */
    private int call(MethodHandle handle, Arena arena, String function, MemorySegment p) {
        MemorySegment err = captureSegment(arena);
        int rc;
        try {
            rc = (int) handle.invokeExact(err, p);
        } catch (Throwable t) {
            throw unchecked(t);
        }
        if (rc < 0 && rc != -2) {
            throw failure(function, errno(err), null);
        }
        return rc;
    }

    private static int setDevice(MethodHandle setDevice, MemorySegment err, MemorySegment p, int fd) {
        try {
            return (int) setDevice.invokeExact(err, p, fd, 0L, 0L);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    private static int invokeWipe(MethodHandle doWipe, MemorySegment err, MemorySegment p) {
        try {
            return (int) doWipe.invokeExact(err, p, 0);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    private static NativeCallException failure(String function, int errno, Path device) {
        Libc libc = Libc.instance();
        String message = errno == 0 ? "failed" : libc.strerror(errno);
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

    /** A {@code blkid_probe}, freed once. */
    private static final class ProbeHandle implements AutoCloseable {
        private final MemorySegment probe;
        private final AtomicBoolean closed = new AtomicBoolean();

        ProbeHandle(MemorySegment probe) {
            this.probe = probe;
        }

        MemorySegment segment() {
            if (closed.get()) {
                throw new IllegalStateException("blkid probe is freed");
            }
            return probe;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true) && !isNull(probe)) {
                blkid_h.blkid_free_probe(probe);
            }
        }
    }
}
