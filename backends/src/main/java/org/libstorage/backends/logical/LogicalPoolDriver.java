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
import org.libstorage.backends.hostdevices.DeviceGuard;
import org.libstorage.backends.logical.Lvm.Effect;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/** One logical pool: a volume group whose logical volumes are the volumes. */
final class LogicalPoolDriver implements PoolDriver {
    static final String NO_DEVICE_MAPPER_NOTE = "device-mapper is not available in this kernel: LVM runs with "
            + "global/activation=0, so volume groups and logical volumes are managed as metadata only; activation, "
            + "snapshots, thin pools and data copies are refused";

    private static final String LV_FIELDS = "lv_uuid,lv_name,lv_size,lv_attr,lv_layout,origin,pool_lv,data_percent";
    private static final String PVSEG_FIELDS = "pv_name,pe_start,pvseg_start,pvseg_size,lv_uuid";
    private static final String VG_FIELDS = "vg_name,vg_size,vg_free,vg_extent_size";

    private final PoolDefinition definition;
    private final Lvm lvm;
    private final String vg;

    LogicalPoolDriver(PoolDefinition definition, Lvm lvm) {
        this.definition = definition;
        this.lvm = lvm;
        this.vg = definition.source().name().orElse(definition.name());
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
     */
    @Override
    public void build(BuildMode mode) {
        List<Path> devices = definition.source().devices().stream().map(PoolSource.Device::path).toList();
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
            List<Blkid.Signature> signatures = probed(blkid, device);
            if (signatures.isEmpty()) {
                continue;
            }
            if (signatures.stream().anyMatch(s -> s.type().equals("LVM2_member"))) {
                Optional<String> owner = volumeGroupOf(device);
                if (owner.isPresent()) {
                    throw new StorageException(ErrorCode.DEVICE_BUSY, "device " + device, "pool-build",
                            "Device " + device + " is a physical volume of volume group '" + owner.get()
                                    + "'; delete that pool before building pool '" + definition.name() + "' on it.");
                }
            }
            if (mode != BuildMode.OVERWRITE) {
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

    /** Activates the group's volumes; with activation off, checks that the group exists. */
    @Override
    public void start() {
        if (lvm.settings().activation()) {
            lvm.require(Effect.DEVICES, "vgchange", List.of("-ay", vg), pool(), "pool-start");
        } else {
            lvm.report("vgs", "vg_name", List.of(vg), pool(), "pool-start");
        }
    }

    @Override
    public void stop() {
        if (lvm.settings().activation()) {
            lvm.require(Effect.DEVICES, "vgchange", List.of("-an", vg), pool(), "pool-stop");
        }
    }

    /** A logical pool is active while its volume group exists, as in libvirt. */
    @Override
    public boolean isActive() {
        return lvm.run(Effect.METADATA, "vgs", List.of("-o", "vg_name", vg)).succeeded();
    }

    /** vgremove (with every LV in it), then pvremove on each source device. */
    @Override
    public void delete() {
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
        for (LvmReport.Row row : report.section("lv")) {
            toVolume(vg, row, extents.getOrDefault(row.text("lv_uuid"), Map.of())).ifPresent(volumes::add);
        }
        List<String> notes = lvm.settings().activation() ? List.of() : List.of(NO_DEVICE_MAPPER_NOTE);
        return new PoolContents(new PoolInfo(PoolState.RUNNING, size, size - free, free, notes), volumes);
    }

    /**
     * An LV as a volume; hidden LVs (thin pool data and metadata, shown in brackets) and thin
     * pools themselves (which have no device node to hand out) are not volumes.
     */
    static Optional<VolumeDefinition> toVolume(String vg, LvmReport.Row row,
                                               Map<Path, List<PoolSource.Extent>> extents) {
        String name = row.text("lv_name");
        String attr = row.text("lv_attr");
        if (name.startsWith("[") || attr.startsWith("t") || row.text("lv_layout").contains("pool")) {
            return Optional.empty();
        }
        long size = row.number("lv_size");
        VolumeDefinition.Builder volume = VolumeDefinition.builder(name, size)
                .type(VolumeType.BLOCK)
                .key(row.text("lv_uuid"))
                .path(Path.of("/dev", vg, name))
                .physical(size);
        String dataPercent = row.text("data_percent");
        if (!row.text("pool_lv").isEmpty() && !dataPercent.isEmpty()) {
            // A thin volume holds only what it has written.
            volume.allocation((long) (size * Double.parseDouble(dataPercent) / 100.0));
        } else {
            volume.allocation(size);
        }
        String origin = row.text("origin");
        if (!origin.isEmpty()) {
            volume.backingStore(new VolumeDefinition.BackingStore(Path.of("/dev", vg, origin), Optional.empty(),
                    Optional.empty()));
        }
        extents.forEach((device, ranges) -> volume.extents(new VolumeDefinition.SourceExtents(device, ranges)));
        return Optional.of(volume.build());
    }

    /**
     * A linear LV of the volume's capacity (rounded up to whole extents by LVM). With activation
     * off it is created inactive and unzeroed, as metadata only.
     */
    @Override
    public VolumeDefinition createVolume(VolumeDefinition volume) {
        if (volume.capacity() <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, volume(volume.name()), "vol-create",
                    "A logical volume needs a capacity above 0 bytes (volume '" + volume.name() + "').");
        }
        List<String> args = new ArrayList<>();
        if (!lvm.settings().activation()) {
            args.addAll(List.of("-an", "-Zn"));
        }
        args.addAll(List.of("-y", "-n", volume.name(), "-L", volume.capacity() + "b", vg));
        lvm.require(Effect.DEVICES, "lvcreate", args, volume(volume.name()), "vol-create");
        return find(volume.name(), "vol-create");
    }

    @Override
    public void deleteVolume(VolumeDefinition volume) {
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
        long rounded = extent <= 0 ? capacity : Math.ceilDiv(capacity, extent) * extent;
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
        lvm.require(Effect.DEVICES, "lvcreate",
                List.of("-y", "-s", "-n", snapshotName, "-L", volume.capacity() + "b", vg + "/" + volume.name()),
                volume(snapshotName), "vol-snapshot");
        return find(snapshotName, "vol-snapshot");
    }

    @Override
    public VolumeDefinition createVolumeFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        requireDeviceMapper(volume, "vol-create-from", "copying data into a logical volume");
        return PoolDriver.super.createVolumeFrom(volume, source, progress);
    }

    @Override
    public void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        requireDeviceMapper(volume, "vol-wipe", "wiping a logical volume");
        PoolDriver.super.wipeVolume(volume, algorithm, progress);
    }

    @Override
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        requireDeviceMapper(volume, "vol-download", "reading a logical volume");
        return PoolDriver.super.openRead(volume, offset, length);
    }

    @Override
    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        requireDeviceMapper(volume, "vol-upload", "writing a logical volume");
        return PoolDriver.super.openWrite(volume, offset, length);
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
