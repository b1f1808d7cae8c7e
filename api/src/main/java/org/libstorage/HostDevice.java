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
        Probe probe) {

    public HostDevice {
        holders = List.copyOf(holders);
        slaves = List.copyOf(slaves);
        mountPoints = List.copyOf(mountPoints);
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
