package org.libstorage;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A block device the host sees (from sysfs), with what probing found on it. Different from a
 * {@link Volume} on purpose: host devices are what pools are built from.
 *
 * @param name the kernel name, such as {@code loop3p1}
 * @param parent the kernel name of the whole disk a partition belongs to
 * @param holders kernel names of devices stacked on this one (dm, md)
 * @param slaves kernel names of devices this one is stacked on
 * @param transport how the disk reaches the host, where that gives it a persistent name (an iSCSI LUN)
 */
public record HostDevice(
        String name,
        Path path,
        Kind kind,
        long size,
        int logicalSectorSize,
        int physicalSectorSize,
        boolean rotational,
        boolean readOnly,
        boolean removable,
        Optional<String> model,
        Optional<String> serial,
        Optional<String> wwn,
        Optional<Path> backingFile,
        Optional<String> parent,
        List<String> holders,
        List<String> slaves,
        List<Path> mountPoints,
        Probe probe,
        Optional<Transport> transport) {

    public HostDevice {
        holders = List.copyOf(holders);
        slaves = List.copyOf(slaves);
        mountPoints = List.copyOf(mountPoints);
        java.util.Objects.requireNonNull(transport, "transport");
    }

    /** A device with no known transport. */
    public HostDevice(String name, Path path, Kind kind, long size, int logicalSectorSize, int physicalSectorSize,
                      boolean rotational, boolean readOnly, boolean removable, Optional<String> model,
                      Optional<String> serial, Optional<String> wwn, Optional<Path> backingFile, Optional<String> parent,
                      List<String> holders, List<String> slaves, List<Path> mountPoints, Probe probe) {
        this(name, path, kind, size, logicalSectorSize, physicalSectorSize, rotational, readOnly, removable, model,
                serial, wwn, backingFile, parent, holders, slaves, mountPoints, probe, Optional.empty());
    }

    /**
     * How a disk (or a partition of it) reaches the host, named as udev names it under
     * {@code /dev/disk/by-path}: known from sysfs alone, so also on hosts without udev.
     *
     * @param type   {@code iscsi}
     * @param pathId udev's {@code ID_PATH}, such as
     *               {@code ip-192.0.2.10:3260-iscsi-iqn.2026-01.com.example:storage-lun-1} ({@code -part1} for a partition)
     * @param byPath the {@code /dev/disk/by-path} link to the device, when udev made it
     */
    public record Transport(String type, String pathId, Optional<Path> byPath) {
        public Transport {
            java.util.Objects.requireNonNull(type, "type");
            java.util.Objects.requireNonNull(pathId, "pathId");
            java.util.Objects.requireNonNull(byPath, "byPath");
        }
    }

    public enum Kind { DISK, PARTITION, LOOP, DM, MD, ROM, OTHER }

    /** What libblkid found: a filesystem or other signature, a partition table, partition entries. */
    public record Probe(Optional<String> type, Optional<String> usage, Optional<String> uuid, Optional<String> label,
                        Optional<String> partitionTableType, Optional<String> partitionTableUuid,
                        Optional<String> partitionUuid, Optional<String> partitionType,
                        Optional<String> partitionName) {
        public static final Probe NOTHING = new Probe(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty());
    }
}
