package org.libstorage.backends.hostdevices;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The block devices under {@code /sys/block} as sysfs describes them: one entry per disk and
 * per partition, with the attribute files read as text. Reading a missing attribute gives
 * empty, never an error, because which files exist depends on the driver.
 *
 * @param name      kernel name, such as {@code loop3p1} ({@code !} in sysfs names is {@code /})
 * @param directory the device's sysfs directory
 * @param parent    for a partition, the whole disk's sysfs entry name
 */
record SysfsBlock(String name, Path directory, Optional<String> parent) {
    static final Path SYS_BLOCK = Path.of("/sys/block");

    /** Every disk in {@code /sys/block} followed by its partitions, in name order. */
    static List<SysfsBlock> all(Path sysBlock) {
        List<SysfsBlock> devices = new ArrayList<>();
        for (Path disk : sortedChildren(sysBlock)) {
            String diskName = disk.getFileName().toString();
            devices.add(new SysfsBlock(diskName.replace('!', '/'), disk, Optional.empty()));
            for (Path child : sortedChildren(disk)) {
                if (Files.exists(child.resolve("partition"))) {
                    devices.add(new SysfsBlock(child.getFileName().toString().replace('!', '/'), child,
                            Optional.of(diskName.replace('!', '/'))));
                }
            }
        }
        return devices;
    }

    /**
     * The sysfs entry of a block device node, found through its device number
     * ({@code /sys/dev/block/MAJ:MIN}), so {@code /dev/mapper/x} and other symlinks work.
     */
    static Optional<SysfsBlock> ofDeviceNumber(int major, int minor) {
        Path link = Path.of("/sys/dev/block", major + ":" + minor);
        try {
            Path real = link.toRealPath();
            boolean partition = Files.exists(real.resolve("partition"));
            String name = real.getFileName().toString().replace('!', '/');
            Optional<String> parent = partition
                    ? Optional.of(real.getParent().getFileName().toString().replace('!', '/')) : Optional.empty();
            return Optional.of(new SysfsBlock(name, real, parent));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    boolean isPartition() {
        return parent.isPresent();
    }

    /**
     * The device's node: {@code /dev/NAME}, except for a device-mapper device, which is known by
     * its {@code /dev/mapper} name (what LVM, cryptsetup and people use; {@code dm-3} changes
     * from boot to boot) when that node exists.
     */
    Path devicePath() {
        Optional<Path> mapper = attribute("dm/name").map(dm -> Path.of("/dev/mapper", dm)).filter(Files::exists);
        return mapper.orElse(Path.of("/dev", name));
    }

    Optional<String> attribute(String relative) {
        try {
            String text = Files.readString(directory.resolve(relative)).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    long longAttribute(String relative, long otherwise) {
        try {
            return attribute(relative).map(Long::parseLong).orElse(otherwise);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    /** {@code MAJ:MIN} from the {@code dev} file, as [major, minor]. */
    Optional<int[]> deviceNumber() {
        return attribute("dev").map(text -> {
            String[] parts = text.split(":");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        });
    }

    /** Names in a sysfs link directory such as {@code holders} or {@code slaves}. */
    List<String> links(String relative) {
        return sortedChildren(directory.resolve(relative)).stream()
                .map(p -> p.getFileName().toString().replace('!', '/')).toList();
    }

    /** The partitions of this disk (empty for a partition). */
    List<SysfsBlock> partitions() {
        if (isPartition()) {
            return List.of();
        }
        List<SysfsBlock> partitions = new ArrayList<>();
        for (Path child : sortedChildren(directory)) {
            if (Files.exists(child.resolve("partition"))) {
                partitions.add(new SysfsBlock(child.getFileName().toString().replace('!', '/'), child, Optional.of(name)));
            }
        }
        return partitions;
    }

    private static List<Path> sortedChildren(Path dir) {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(children::add);
        } catch (IOException e) {
            return List.of();
        }
        children.sort((a, b) -> naturalCompare(a.getFileName().toString(), b.getFileName().toString()));
        return children;
    }

    /** Orders {@code loop2} before {@code loop10}, as people expect. */
    static int naturalCompare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int si = i;
                int sj = j;
                while (i < a.length() && Character.isDigit(a.charAt(i))) {
                    i++;
                }
                while (j < b.length() && Character.isDigit(b.charAt(j))) {
                    j++;
                }
                String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
                String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
                int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
                if (c != 0) {
                    return c;
                }
            } else {
                if (x != y) {
                    return Character.compare(x, y);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
