package org.libstorage.backends.logical;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.PoolState;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.blockio.BlockVolumes;
import org.libstorage.backends.blockio.DeviceGuard;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.backends.logical.Lvm.Effect;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.spi.SizeArithmetic;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.Jobs;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/**
 * One logical pool: a volume group whose logical volumes are the volumes, or a thin pool in a
 * volume group whose thin volumes are the volumes.
 */
final class LogicalPoolDriver implements PoolDriver {
    static final String NO_DEVICE_MAPPER_NOTE = "device-mapper is not available in this kernel: LVM runs with "
            + "global/activation=0, so volume groups and logical volumes are managed as metadata only; activation, "
            + "snapshots, thin pools and data copies are refused";

    private static final String LV_FIELDS = "lv_uuid,lv_name,lv_size,lv_attr,lv_layout,origin,pool_lv,data_percent";
    private static final String PVSEG_FIELDS = "pv_name,pe_start,pvseg_start,pvseg_size,lv_uuid";
    private static final String VG_FIELDS = "vg_name,vg_size,vg_free,vg_extent_size";

    private final PoolDefinition definition;
    private final Lvm lvm;
    private final Jobs jobs;
    private final String vg;
    /** The thin pool this pool's volumes live in, when the source names one. */
    private final Optional<String> thinPool;

    LogicalPoolDriver(PoolDefinition definition, Lvm lvm, Jobs jobs) {
        this.definition = definition;
        this.lvm = lvm;
        this.jobs = jobs;
        LogicalSource source = LvmNames.parseSource(definition.name(),
                definition.source().name().orElse(definition.name()));
        this.vg = source.vg();
        this.thinPool = source.thinPool();
    }

    @Override
    public PoolDefinition definition() {
        return definition;
    }

    private String pool() {
        return "pool '" + definition.name() + "'";
    }

    private String volume(String name) {
        return "volume '" + name + "' in pool '" + definition.name() + "'";
    }

    /**
     * pvcreate + vgcreate on the source devices. Devices carrying any signature are refused
     * unless {@code OVERWRITE}; a device that is a PV of another volume group is always refused.
     * If vgcreate fails the new PVs are removed again, so a failed build leaves no stray PV.
     * A pool naming a thin pool gets it made too (on 90% of the group's free space, leaving LVM
     * room for its spare metadata LV); without source devices only the thin pool is made, in
     * the existing group.
     */
    @Override
    public void build(BuildMode mode) {
        List<Path> devices = definition.source().devices().stream().map(PoolSource.Device::path).toList();
        if (thinPool.isPresent() && !lvm.settings().activation()) {
            // Refused before any device is touched: LVM cannot make a thin pool without the kernel.
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, pool(), "pool-build",
                    "device-mapper is not available in this kernel: building thin pool '" + vg + "/" + thinPool.get()
                            + "' needs its thin-pool target (" + pool() + "); a pool on volume group '" + vg
                            + "' alone can hold linear volumes.");
        }
        if (devices.isEmpty() && thinPool.isPresent()) {
            lvm.require(Effect.DEVICES, "lvcreate", thinPoolArgs(), pool(), "pool-build");
            return;
        }
        if (devices.isEmpty()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, pool(), "pool-build",
                    "Logical pool '" + definition.name() + "' names no source device to build its volume group on.");
        }
        for (Path device : devices) {
            if (!Files.exists(device)) {
                throw new StorageException(ErrorCode.NO_SUCH_DEVICE, "device " + device, "pool-build",
                        "The source device " + device + " of pool '" + definition.name() + "' does not exist.");
            }
        }
        Blkid blkid = Blkid.instance();
        if (!blkid.isAvailable()) {
            throw new StorageException(ErrorCode.BACKEND_UNAVAILABLE, pool(), "pool-build",
                    "Building a logical pool needs libblkid to check its devices for data: "
                            + blkid.unavailableReason().orElse("libblkid is missing") + ".");
        }
        for (Path device : devices) {
            DeviceGuard.BlockDevice block = DeviceGuard.requireBlockDevice(device, "device " + device, "pool-build");
            List<Blkid.Signature> signatures = probed(blkid, device);
            if (signatures.stream().anyMatch(s -> s.type().equals("LVM2_member"))) {
                Optional<String> owner = volumeGroupOf(device);
                if (owner.isPresent()) {
                    throw new StorageException(ErrorCode.DEVICE_BUSY, "device " + device, "pool-build",
                            "Device " + device + " is a physical volume of volume group '" + owner.get()
                                    + "'; delete that pool before building pool '" + definition.name() + "' on it.");
                }
            }
            // Mounted, held by a stacked device or opened exclusively: never overwritten.
            DeviceGuard.requireUnused(block, "device " + device, "pool-build");
            if (mode != BuildMode.OVERWRITE && !signatures.isEmpty()) {
                String found = String.join(", ", signatures.stream().map(Blkid.Signature::type).distinct().toList());
                throw new StorageException(ErrorCode.DEVICE_BUSY, "device " + device, "pool-build",
                        "Device " + device + " holds data (" + found + "); build pool '" + definition.name()
                                + "' with overwrite to destroy it.");
            }
        }
        if (mode == BuildMode.OVERWRITE) {
            // Only after every device passed the checks above, so a refused device wipes none.
            for (Path device : devices) {
                try {
                    blkid.wipeSignatures(device);
                } catch (NativeCallException e) {
                    throw DeviceGuard.nativeFailure("device " + device, "pool-build",
                            "erase the signatures on " + device, e);
                }
            }
        }
        List<String> names = devices.stream().map(Path::toString).toList();
        Lvm.Outcome created = lvm.run(Effect.METADATA, "pvcreate", withYes(names));
        if (!created.succeeded()) {
            StorageException failure = lvm.failure(created, pool(), "pool-build");
            removePhysicalVolumes(names);
            throw failure;
        }
        List<String> vgArgs = new ArrayList<>(List.of(vg));
        vgArgs.addAll(names);
        Lvm.Outcome group = lvm.run(Effect.METADATA, "vgcreate", vgArgs);
        if (!group.succeeded()) {
            StorageException failure = lvm.failure(group, pool(), "pool-build");
            removePhysicalVolumes(names);
            throw failure;
        }
        if (thinPool.isPresent()) {
            Lvm.Outcome thin = lvm.run(Effect.DEVICES, "lvcreate", thinPoolArgs());
            if (!thin.succeeded()) {
                StorageException failure = lvm.failure(thin, pool(), "pool-build");
                lvm.run(Effect.DEVICES, "vgremove", List.of("-f", vg));
                removePhysicalVolumes(names);
                throw failure;
            }
        }
    }

    private List<String> thinPoolArgs() {
        return List.of("-y", "--type", "thin-pool", "-l", "90%FREE", "-n", thinPool.orElseThrow(), vg);
    }

    private static List<String> withYes(List<String> names) {
        List<String> args = new ArrayList<>(List.of("-y"));
        args.addAll(names);
        return args;
    }

    /** Best-effort undo: pvremove refuses PVs that belong to a group, so nothing else is touched. */
    private void removePhysicalVolumes(List<String> devices) {
        for (String device : devices) {
            lvm.run(Effect.METADATA, "pvremove", List.of("-y", device));
        }
    }

    private Optional<String> volumeGroupOf(Path device) {
        Lvm.Outcome outcome = lvm.run(Effect.METADATA, "pvs",
                List.of("-o", "pv_name,vg_name", device.toString()));
        return outcome.report().section("pv").stream().map(r -> r.text("vg_name")).filter(n -> !n.isEmpty())
                .findFirst();
    }

    /**
     * Activates the group's volumes (a thin pool's: the pool and its thin volumes only); with
     * activation off, checks that the group, and the thin pool, exist.
     */
    @Override
    public void start() {
        if (!lvm.settings().activation()) {
            contents("pool-start");
        } else if (thinPool.isPresent()) {
            lvm.require(Effect.DEVICES, "lvchange", List.of("-ay", vg + "/" + thinPool.get()), pool(), "pool-start");
            List<String> volumes = thinVolumes("pool-start");
            if (!volumes.isEmpty()) {
                lvm.require(Effect.DEVICES, "lvchange", withFlag("-ay", volumes), pool(), "pool-start");
            }
        } else {
            lvm.require(Effect.DEVICES, "vgchange", List.of("-ay", vg), pool(), "pool-start");
        }
    }

    @Override
    public void stop() {
        if (!lvm.settings().activation()) {
            return;
        }
        if (thinPool.isPresent()) {
            // Thin volumes first: LVM will not deactivate a pool whose volumes are active.
            List<String> volumes = thinVolumes("pool-stop");
            if (!volumes.isEmpty()) {
                lvm.require(Effect.DEVICES, "lvchange", withFlag("-an", volumes), pool(), "pool-stop");
            }
            lvm.require(Effect.DEVICES, "lvchange", List.of("-an", vg + "/" + thinPool.get()), pool(), "pool-stop");
        } else {
            lvm.require(Effect.DEVICES, "vgchange", List.of("-an", vg), pool(), "pool-stop");
        }
    }

    /**
     * The thin pool's volumes as {@code VG/LV}, from a report. They are named to lvchange one by
     * one rather than selected with {@code -S pool_lv=...}: lvm2 2.03.16's lvchange crashes
     * (SIGSEGV) on that selection when it matches no LV, as for a new, empty thin pool.
     */
    private List<String> thinVolumes(String operation) {
        return lvm.report("lvs", "lv_name,pool_lv", List.of(vg), pool(), operation).section("lv").stream()
                .filter(row -> row.text("pool_lv").equals(thinPool.orElseThrow()))
                .map(row -> vg + "/" + row.text("lv_name")).toList();
    }

    private static List<String> withFlag(String flag, List<String> names) {
        List<String> args = new ArrayList<>(List.of(flag));
        args.addAll(names);
        return args;
    }

    /**
     * A logical pool is active while its volume group exists, as in libvirt; a thin pool's
     * pool while the thin pool exists in it.
     */
    @Override
    public boolean isActive() {
        if (thinPool.isEmpty()) {
            return lvm.run(Effect.METADATA, "vgs", List.of("-o", "vg_name", vg)).succeeded();
        }
        Lvm.Outcome thin = lvm.run(Effect.METADATA, "lvs", List.of("-o", "lv_name,lv_layout", vg + "/" + thinPool.get()));
        return thin.succeeded() && Lvm.first(thin.report(), "lv").filter(LogicalPoolDriver::isThinPool).isPresent();
    }

    private static boolean isThinPool(LvmReport.Row row) {
        return row.text("lv_layout").contains("thin") && row.text("lv_layout").contains("pool");
    }

    /**
     * vgremove (with every LV in it), then pvremove on each source device. A thin pool's pool
     * removes the thin pool with its volumes, and the group and its PVs only when the pool
     * names source devices and nothing else is left in the group.
     */
    @Override
    public void delete() {
        if (thinPool.isPresent()) {
            lvm.require(Effect.DEVICES, "lvremove", List.of("-f", vg + "/" + thinPool.get()), pool(), "pool-delete");
            if (definition.source().devices().isEmpty()
                    || !lvm.report("lvs", "lv_name", List.of(vg), pool(), "pool-delete").section("lv").isEmpty()) {
                return;
            }
        }
        lvm.require(Effect.DEVICES, "vgremove", List.of("-f", vg), pool(), "pool-delete");
        for (PoolSource.Device device : definition.source().devices()) {
            lvm.require(Effect.METADATA, "pvremove", List.of("-y", device.path().toString()),
                    "device " + device.path(), "pool-delete");
        }
    }

    /**
     * One command, {@code lvm fullreport} on the group, with a sub-report each for the group
     * (size, free space, extent size), its LVs (inactive and hidden ones too) and its PV
     * segments, which give each LV's extents as byte ranges on its devices.
     */
    @Override
    public PoolContents refresh() {
        return contents("pool-refresh");
    }

    private PoolContents contents(String operation) {
        LvmReport report = lvm.require(Effect.METADATA, "fullreport", List.of("--units", "b", "--nosuffix",
                "--configreport", "vg", "-o", VG_FIELDS,
                "--configreport", "pv", "-o", "pv_name",
                "--configreport", "lv", "-o", LV_FIELDS,
                "--configreport", "pvseg", "-o", PVSEG_FIELDS,
                "--configreport", "seg", "-o", "lv_uuid",
                vg), pool(), operation);
        LvmReport.Row vgRow = Lvm.first(report, "vg").orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_POOL,
                pool(), operation, "LVM reports no volume group '" + vg + "' for pool '" + definition.name() + "'."));
        long extentSize = vgRow.number("vg_extent_size");
        long size = vgRow.number("vg_size");
        long free = vgRow.number("vg_free");
        Map<String, Map<Path, List<PoolSource.Extent>>> extents = new LinkedHashMap<>();
        for (LvmReport.Row row : report.section("pvseg")) {
            String uuid = row.text("lv_uuid");
            if (uuid.isEmpty()) {
                continue; // free space
            }
            long start = row.number("pe_start") + row.number("pvseg_start") * extentSize;
            long end = start + row.number("pvseg_size") * extentSize;
            extents.computeIfAbsent(uuid, u -> new LinkedHashMap<>())
                    .computeIfAbsent(Path.of(row.text("pv_name")), p -> new ArrayList<>())
                    .add(new PoolSource.Extent(start, end));
        }
        List<VolumeDefinition> volumes = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (!lvm.settings().activation()) {
            notes.add(NO_DEVICE_MAPPER_NOTE);
        }
        if (thinPool.isPresent()) {
            String name = thinPool.get();
            LvmReport.Row thin = report.section("lv").stream().filter(r -> r.text("lv_name").equals(name)).findFirst()
                    .orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_POOL, pool(), operation,
                            "Volume group '" + vg + "' has no thin pool '" + name + "' (" + pool() + ")."));
            if (!isThinPool(thin)) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, pool(), operation, "Logical volume '" + vg
                        + "/" + name + "' is a " + thin.text("lv_layout") + " volume, not a thin pool (" + pool() + ").");
            }
            // A thin pool's size is what its volumes can hold together; they may promise more.
            size = thin.number("lv_size");
            String dataPercent = thin.text("data_percent");
            long used = dataPercent.isEmpty() ? 0 : (long) (size * Double.parseDouble(dataPercent) / 100.0);
            if (dataPercent.isEmpty()) {
                notes.add("thin pool '" + vg + "/" + name + "' is not active, so how much of it is used is unknown");
            }
            free = size - used;
        }
        Map<String, Long> sizes = new LinkedHashMap<>();
        report.section("lv").forEach(row -> sizes.put(row.text("lv_name"), row.number("lv_size")));
        for (LvmReport.Row row : report.section("lv")) {
            if (thinPool.isPresent() && !row.text("pool_lv").equals(thinPool.get())) {
                continue;
            }
            toVolume(vg, row, extents.getOrDefault(row.text("lv_uuid"), Map.of()), sizes).ifPresent(volumes::add);
        }
        return new PoolContents(new PoolInfo(PoolState.RUNNING, size, size - free, free, notes), volumes);
    }

    /**
     * An LV as a volume; hidden LVs (thin pool data and metadata, shown in brackets) and thin
     * pools themselves (which have no device node to hand out) are not volumes.
     */
    static Optional<VolumeDefinition> toVolume(String vg, LvmReport.Row row,
                                               Map<Path, List<PoolSource.Extent>> extents,
                                               Map<String, Long> sizesByName) {
        String name = row.text("lv_name");
        String attr = row.text("lv_attr");
        if (name.startsWith("[") || attr.startsWith("t") || row.text("lv_layout").contains("pool")) {
            return Optional.empty();
        }
        long size = row.number("lv_size");
        String origin = row.text("origin");
        boolean classicSnapshot = !origin.isEmpty() && row.text("pool_lv").isEmpty();
        // A classic snapshot's lv_size is its store for changes; its device is as large as the origin.
        long capacity = classicSnapshot ? sizesByName.getOrDefault(origin, size) : size;
        VolumeDefinition.Builder volume = VolumeDefinition.builder(name, capacity)
                .type(VolumeType.BLOCK)
                .key(row.text("lv_uuid"))
                .path(Path.of("/dev", vg, name));
        String dataPercent = row.text("data_percent");
        if (row.text("pool_lv").isEmpty()) {
            volume.physical(size).allocation(size);
        } else if (!dataPercent.isEmpty()) {
            // A thin volume holds only what it has written; LVM knows that only while it is active.
            volume.allocation((long) (size * Double.parseDouble(dataPercent) / 100.0));
        }
        if (!origin.isEmpty()) {
            volume.backingStore(new VolumeDefinition.BackingStore(Path.of("/dev", vg, origin), Optional.empty(),
                    Optional.empty()));
        }
        extents.forEach((device, ranges) -> volume.extents(new VolumeDefinition.SourceExtents(device, ranges)));
        return Optional.of(volume.build());
    }

    /**
     * A linear LV of the volume's capacity (rounded up to whole extents by LVM). With activation
     * off it is created inactive and unzeroed, as metadata only. In a thin pool's pool it is a
     * thin volume of that virtual size, which needs the kernel's thin-pool target.
     */
    @Override
    public VolumeDefinition createVolume(VolumeDefinition volume) {
        if (volume.capacity() <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, volume(volume.name()), "vol-create",
                    "A logical volume needs a capacity above 0 bytes (volume '" + volume.name() + "').");
        }
        if (thinPool.isPresent()) {
            // LVM allocates a thin volume by messaging the active thin pool in the kernel.
            requireDeviceMapper(volume, "vol-create", "creating a thin volume in thin pool '" + vg + "/"
                    + thinPool.get() + "'");
            lvm.require(Effect.DEVICES, "lvcreate", List.of("-y", "--type", "thin", "-V", volume.capacity() + "b",
                    "--thinpool", thinPool.get(), "-n", volume.name(), vg), volume(volume.name()), "vol-create");
            return find(volume.name(), "vol-create");
        }
        List<String> args = new ArrayList<>();
        if (!lvm.settings().activation()) {
            args.addAll(List.of("-an", "-Zn"));
        }
        args.addAll(List.of("-y", "-n", volume.name(), "-L", volume.capacity() + "b", vg));
        lvm.require(Effect.DEVICES, "lvcreate", args, volume(volume.name()), "vol-create");
        return find(volume.name(), "vol-create");
    }

    /**
     * lvremove. A thin volume is refused without device-mapper: LVM would drop it from the
     * group's metadata and then fail to tell the thin pool to free its blocks, leaving the two
     * out of step.
     */
    @Override
    public void deleteVolume(VolumeDefinition volume) {
        if (!lvm.settings().activation()) {
            LvmReport lv = lvm.report("lvs", "pool_lv", List.of(vg + "/" + volume.name()), volume(volume.name()),
                    "vol-delete");
            Optional<String> pool = Lvm.first(lv, "lv").map(r -> r.text("pool_lv")).filter(p -> !p.isEmpty());
            if (pool.isPresent()) {
                requireDeviceMapper(volume, "vol-delete", "deleting a thin volume from thin pool '" + vg + "/"
                        + pool.get() + "'");
            }
        }
        lvm.require(Effect.DEVICES, "lvremove", List.of("-f", vg + "/" + volume.name()), volume(volume.name()),
                "vol-delete");
    }

    /** lvextend to grow; lvreduce only when shrinking is allowed. LVM rounds up to whole extents. */
    @Override
    public VolumeDefinition resizeVolume(VolumeDefinition volume, long capacity, boolean allowShrink,
                                         boolean allocate) {
        if (capacity <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, volume(volume.name()), "vol-resize",
                    "A logical volume cannot be resized to " + capacity + " bytes (volume '" + volume.name() + "').");
        }
        LvmReport group = lvm.report("vgs", "vg_extent_size", List.of(vg), pool(), "vol-resize");
        long extent = Lvm.first(group, "vg").map(r -> r.number("vg_extent_size")).orElse(1L);
        long rounded = SizeArithmetic.roundUp(capacity, extent, volume(volume.name()), "vol-resize");
        if (rounded == volume.capacity()) {
            return volume;
        }
        if (rounded < volume.capacity() && !allowShrink) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, volume(volume.name()), "vol-resize",
                    "Resizing volume '" + volume.name() + "' from " + volume.capacity() + " to " + rounded
                            + " bytes would shrink it and lose data; allow shrinking to do that.");
        }
        String command = rounded > volume.capacity() ? "lvextend" : "lvreduce";
        lvm.require(Effect.DEVICES, command, List.of("-f", "-L", rounded + "b", vg + "/" + volume.name()),
                volume(volume.name()), "vol-resize");
        return find(volume.name(), "vol-resize");
    }

    @Override
    public VolumeDefinition snapshotVolume(VolumeDefinition volume, String snapshotName) {
        requireDeviceMapper(volume, "vol-snapshot", "LVM snapshots");
        List<String> args = new ArrayList<>(List.of("-y", "-s", "-n", snapshotName));
        if (thinPool.isEmpty()) {
            // A thin snapshot shares its origin's pool and takes no size; a classic one needs room for changes.
            args.addAll(List.of("-L", volume.capacity() + "b"));
        } else {
            // LVM flags thin snapshots to be skipped by activation; as a volume of this pool it is
            // activated with the others, so its path exists like theirs.
            args.addAll(List.of("--setactivationskip", "n"));
        }
        args.add(vg + "/" + volume.name());
        lvm.require(Effect.DEVICES, "lvcreate", args, volume(snapshotName), "vol-snapshot");
        return find(snapshotName, "vol-snapshot");
    }

    /**
     * A new LV (at least as large as the source) holding a copy of the source's bytes, through
     * the shared copy engine; on failure or interrupt the LV is removed again. The copy runs
     * outside the pool's lock; the LV is made and removed under it, and marked as building (an
     * LV cannot be renamed into place atomically) until the copy commits.
     */
    @Override
    public VolumeDefinition createVolumeFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        String operation = "vol-create-from";
        requireDeviceMapper(volume, operation, "copying data into a logical volume");
        long size = source.definition().capacity();
        VolumeDefinition wanted = volume.capacity() >= size ? volume : withCapacity(volume, size);
        VolumeDefinition created = jobs.locked(() -> {
            VolumeDefinition made = createVolume(wanted);
            jobs.building(made.name());
            return made;
        });
        jobs.reached("lv-created");
        return jobs.fillOrUndo(() -> {
            BlockVolumes.fill(created, source, progress == null ? ProgressListener.NONE : progress,
                    new IoContext(volume(created.name()), operation));
            return created;
        }, () -> deleteVolume(created));
    }

    private static VolumeDefinition withCapacity(VolumeDefinition volume, long capacity) {
        VolumeDefinition.Builder b = VolumeDefinition.builder(volume.name(), capacity).target(volume.target());
        volume.type().ifPresent(b::type);
        return b.build();
    }

    @Override
    public void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        requireDeviceMapper(volume, "vol-wipe", "wiping a logical volume");
        BlockVolumes.wipe(volume, algorithm, progress == null ? ProgressListener.NONE : progress,
                new IoContext(volume(volume.name()), "vol-wipe"));
    }

    @Override
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        requireDeviceMapper(volume, "vol-download", "reading a logical volume");
        return BlockVolumes.openRead(volume, offset, length, new IoContext(volume(volume.name()), "vol-download"));
    }

    @Override
    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        requireDeviceMapper(volume, "vol-upload", "writing a logical volume");
        return BlockVolumes.openWrite(volume, offset, length, new IoContext(volume(volume.name()), "vol-upload"));
    }

    /**
     * Data operations need the LV's device node, which only device-mapper provides. Without it
     * the operation is unsupported here (OPERATION_UNSUPPORTED, not BACKEND_UNAVAILABLE: the
     * backend works, its metadata operations succeed; this one operation cannot run on this
     * kernel).
     */
    private void requireDeviceMapper(VolumeDefinition volume, String operation, String what) {
        if (!lvm.settings().activation()) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, volume(volume.name()), operation,
                    "device-mapper is not available in this kernel: " + what + " needs it to activate logical volumes"
                            + " (" + volume(volume.name()) + ").");
        }
    }

    /** The device's signatures; a libblkid failure keeps its function and errno (DeviceGuard's mapping). */
    private static List<Blkid.Signature> probed(Blkid blkid, Path device) {
        try {
            return blkid.signatures(device);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure("device " + device, "pool-build", "probe " + device + " for signatures", e);
        }
    }

    /** One LV as a volume, from one fullreport of the group. */
    private VolumeDefinition find(String name, String operation) {
        return contents(operation).volumes().stream().filter(v -> v.name().equals(name)).findFirst()
                .orElseThrow(() -> new StorageException(ErrorCode.INTERNAL_ERROR, volume(name), operation,
                        "LVM reported success but logical volume '" + name + "' is not in volume group '" + vg + "'."));
    }
}
