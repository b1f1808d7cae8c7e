package org.libstorage.backends.hostdevices;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.libstorage.HostDevice;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.nativelib.Mount;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;
import org.libstorage.spi.HostDeviceProvider;

/**
 * The host's block devices from sysfs, with their mount points (mountinfo through libmount)
 * and what libblkid finds on them, all in-process: no {@code lsblk}, no {@code blkid}. A
 * device that cannot be probed (no permission, a drive without media) is listed without
 * probe results; it never fails the listing.
 */
public final class HostDevices implements HostDeviceProvider {
    private static final System.Logger LOG = System.getLogger(HostDevices.class.getName());

    private static final Path BY_PATH = Path.of("/dev/disk/by-path");

    private final Path sysBlock;

    /** For {@link java.util.ServiceLoader}. */
    public HostDevices() {
        this(SysfsBlock.SYS_BLOCK);
    }

    HostDevices(Path sysBlock) {
        this.sysBlock = sysBlock;
    }

    @Override
    public List<HostDevice> hostDevices() {
        Map<Long, List<Path>> mounts = mountPointsByDevice();
        List<HostDevice> devices = new ArrayList<>();
        for (SysfsBlock block : SysfsBlock.all(sysBlock)) {
            if (block.name().startsWith("loop") && !block.isPartition()
                    && block.attribute("loop/backing_file").isEmpty()) {
                continue; // a free loop device: nothing there, as lsblk hides it
            }
            devices.add(describe(block, mounts, sysBlock.getParent()));
        }
        return List.copyOf(devices);
    }

    /** The host device at {@code path} (any node or symlink to it), or empty when it is not a block device. */
    public static Optional<HostDevice> of(Path path) {
        try {
            Stat stat = org.libstorage.nativelib.Libc.instance().statx(path, true);
            if (!stat.isBlockDevice()) {
                return Optional.empty();
            }
            return SysfsBlock.ofDeviceNumber(stat.rdevMajor(), stat.rdevMinor())
                    .map(block -> describe(block, mountPointsByDevice(), IscsiSysfs.SYSFS));
        } catch (NativeCallException e) {
            return Optional.empty();
        }
    }

    static HostDevice describe(SysfsBlock block, Map<Long, List<Path>> mounts, Path sysfs) {
        Optional<SysfsBlock> disk = block.parent().map(p -> new SysfsBlock(p, block.directory().getParent(), Optional.empty()));
        SysfsBlock queue = disk.orElse(block); // partitions have no queue/ of their own
        long size = block.longAttribute("size", 0) * 512; // sysfs counts 512-byte units whatever the sector size
        Optional<Path> backingFile = block.attribute("loop/backing_file").map(Path::of);
        List<Path> mountPoints = block.deviceNumber()
                .map(n -> mounts.getOrDefault(Stat.makedev(n[0], n[1]), List.of())).orElse(List.of());
        return new HostDevice(block.name(), block.devicePath(), kind(block), size,
                (int) queue.longAttribute("queue/logical_block_size", 512),
                (int) queue.longAttribute("queue/physical_block_size", 512),
                queue.longAttribute("queue/rotational", 0) == 1,
                block.longAttribute("ro", 0) == 1,
                queue.longAttribute("removable", 0) == 1,
                block.isPartition() ? Optional.empty() : block.attribute("device/model"),
                block.isPartition() ? Optional.empty() : block.attribute("device/serial").or(() -> block.attribute("serial")),
                block.isPartition() ? Optional.empty() : block.attribute("wwid").or(() -> block.attribute("device/wwid")),
                backingFile, block.parent(), block.links("holders"), block.links("slaves"), mountPoints,
                size == 0 ? HostDevice.Probe.NOTHING : probe(block.devicePath()), transport(block, sysfs));
    }

    /** An iSCSI LUN's by-path identity, read from sysfs, and udev's link when it exists. */
    static Optional<HostDevice.Transport> transport(SysfsBlock block, Path sysfs) {
        return new IscsiSysfs(sysfs).pathId(block.directory()).map(id -> {
            Path link = BY_PATH.resolve(id);
            Optional<Path> byPath = Optional.empty();
            try {
                if (java.nio.file.Files.exists(link) && java.nio.file.Files.isSameFile(link, block.devicePath())) {
                    byPath = Optional.of(link);
                }
            } catch (java.io.IOException e) {
                // no such link: udev is not running here
            }
            return new HostDevice.Transport("iscsi", id, byPath);
        });
    }

    private static HostDevice.Kind kind(SysfsBlock block) {
        String name = block.name();
        if (block.isPartition()) {
            return HostDevice.Kind.PARTITION;
        }
        if (name.startsWith("loop")) {
            return HostDevice.Kind.LOOP;
        }
        if (name.startsWith("dm-")) {
            return HostDevice.Kind.DM;
        }
        if (name.startsWith("md")) {
            return HostDevice.Kind.MD;
        }
        if (name.startsWith("sr")) {
            return HostDevice.Kind.ROM;
        }
        if (name.startsWith("ram") || name.startsWith("zram") || name.startsWith("nbd")) {
            return HostDevice.Kind.OTHER;
        }
        return HostDevice.Kind.DISK;
    }

    /** What libblkid finds; a device it cannot open gives {@link HostDevice.Probe#NOTHING}. */
    static HostDevice.Probe probe(Path device) {
        Blkid blkid = Blkid.instance();
        if (!blkid.isAvailable()) {
            return HostDevice.Probe.NOTHING;
        }
        try {
            Blkid.Probe found = blkid.probe(device);
            return new HostDevice.Probe(found.type(), found.usage(), found.uuid(), found.label(),
                    found.partitionTableType(), found.partitionTableUuid(), found.value("PART_ENTRY_UUID"),
                    found.value("PART_ENTRY_TYPE"), found.value("PART_ENTRY_NAME"));
        } catch (NativeCallException | LibraryUnavailableException e) {
            LOG.log(Level.DEBUG, "not probing {0}: {1}", device, e.getMessage());
            return HostDevice.Probe.NOTHING;
        }
    }

    /**
     * Who uses the block device numbered {@code major:minor} or one of its partitions, as sysfs
     * and the mount table show it: "/dev/loop3p1 is mounted on /mnt", "/dev/loop3 is held by
     * dm-0". Empty when nobody does (an exclusive opener shows only to {@code open(O_EXCL)}).
     */
    public static List<String> usersOf(int major, int minor) {
        List<String> users = new ArrayList<>();
        SysfsBlock.ofDeviceNumber(major, minor).ifPresent(block -> {
            Map<Long, List<Path>> mounts = mountPointsByDevice();
            List<SysfsBlock> all = new ArrayList<>(List.of(block));
            all.addAll(block.partitions());
            for (SysfsBlock b : all) {
                b.deviceNumber().map(n -> mounts.getOrDefault(Stat.makedev(n[0], n[1]), List.of()))
                        .orElse(List.of())
                        .forEach(target -> users.add(b.devicePath() + " is mounted on " + target));
                b.links("holders").forEach(holder -> users.add(b.devicePath() + " is held by " + holder));
            }
        });
        return users;
    }

    /** The kernel's name of the block device numbered {@code major:minor} ({@code loop3p1}), if sysfs has it. */
    public static Optional<String> kernelName(int major, int minor) {
        return SysfsBlock.ofDeviceNumber(major, minor).map(SysfsBlock::name);
    }

    /** Mount points keyed by the mounted device's number, from libmount's parse of mountinfo. */
    static Map<Long, List<Path>> mountPointsByDevice() {
        Map<Long, List<Path>> byDevice = new HashMap<>();
        Mount mount = Mount.instance();
        if (!mount.isAvailable()) {
            return byDevice;
        }
        try {
            for (Mount.MountEntry entry : mount.mountTable()) {
                // Bind mounts of a subdirectory are the same device but not where its filesystem is.
                if (entry.root().equals("/")) {
                    byDevice.computeIfAbsent(entry.device(), k -> new ArrayList<>()).add(entry.target());
                }
            }
        } catch (NativeCallException e) {
            LOG.log(Level.WARNING, "cannot read the mount table: {0}", e.getMessage());
        }
        return byDevice;
    }
}
