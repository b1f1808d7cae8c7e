package org.libstorage.backends.disk;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * libvirt's disk-pool volume formats ({@code linux}, {@code linux-swap}, {@code linux-lvm},
 * {@code linux-raid}, {@code fat16}, {@code fat32}, {@code extended}, {@code none}) and the
 * partition types they stand for in gpt (type GUIDs) and dos (type codes) labels.
 */
final class PartitionTypes {
    static final String DEFAULT = "linux";

    private static final Map<String, String> GPT = Map.of(
            "linux", "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
            "linux-swap", "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F",
            "linux-lvm", "E6D6D379-F507-44C2-A23C-238F2A3DF928",
            "linux-raid", "A19D880F-05FC-4D3B-A006-743F0F84911E",
            "fat16", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
            "fat32", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");

    private static final Map<String, Integer> DOS = Map.of(
            "linux", 0x83,
            "linux-swap", 0x82,
            "linux-lvm", 0x8e,
            "linux-raid", 0xfd,
            "fat16", 0x06,
            "fat32", 0x0c);

    private PartitionTypes() {
    }

    /** The formats a volume can be created with. */
    static java.util.Set<String> creatable() {
        return new java.util.TreeSet<>(DOS.keySet());
    }

    /** The type to give libfdisk for {@code format} on a {@code label} table, or empty for a format we cannot create. */
    static Optional<String> forLabel(String label, String format) {
        if (label.equals("gpt")) {
            return Optional.ofNullable(GPT.get(format));
        }
        return Optional.ofNullable(DOS.get(format)).map(code -> String.format("%02x", code));
    }

    /** The libvirt format of an existing partition; {@code none} when it has no libvirt name. */
    static String formatOf(String label, Optional<String> typeString, int typeCode, boolean container) {
        if (container) {
            return "extended";
        }
        if (label.equals("gpt")) {
            String guid = typeString.map(s -> s.toUpperCase(Locale.ROOT)).orElse("");
            for (String format : new String[] {"linux", "linux-swap", "linux-lvm", "linux-raid", "fat32"}) {
                if (GPT.get(format).equals(guid)) {
                    return format;
                }
            }
            return "none";
        }
        return switch (typeCode) {
            case 0x83 -> "linux";
            case 0x82 -> "linux-swap";
            case 0x8e -> "linux-lvm";
            case 0xfd -> "linux-raid";
            case 0x04, 0x06, 0x0e -> "fat16";
            case 0x0b, 0x0c -> "fat32";
            case 0x05, 0x0f, 0x85 -> "extended";
            default -> "none";
        };
    }
}
