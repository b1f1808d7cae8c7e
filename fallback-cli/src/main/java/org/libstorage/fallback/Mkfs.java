package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Makes filesystems with the mkfs tools, since no library does. The filesystems it can make
 * are a closed set, {@link Filesystem}; a name outside it is refused before any tool runs:
 * {@link Filesystem#fromName} returns empty, which a backend reports as an invalid
 * definition. Labels and UUIDs are checked against each filesystem's limits up front
 * ({@link IllegalArgumentException}); the tool's failures are {@link CommandException}s.
 *
 * <p>Without {@code overwrite}, no force flag is passed, so mkfs.xfs and mkfs.btrfs refuse a
 * device that already holds a filesystem. mke2fs asks only on a terminal and mkfs.vfat never
 * checks: callers that must not destroy data check for signatures first (libblkid).
 */
public final class Mkfs {
    private static final Pattern VFAT_VOLUME_ID = Pattern.compile("([0-9A-Fa-f]{4})-?([0-9A-Fa-f]{4})");
    /** Characters FAT does not allow in a volume label. */
    private static final String VFAT_FORBIDDEN = "*?.,;:/\\|+=<>[]\"";

    /** The filesystems this class can make, named as blkid and libvirt's fs pools name them. */
    public enum Filesystem {
        EXT2("ext2", "mkfs.ext2", 16),
        EXT3("ext3", "mkfs.ext3", 16),
        EXT4("ext4", "mkfs.ext4", 16),
        XFS("xfs", "mkfs.xfs", 12),
        BTRFS("btrfs", "mkfs.btrfs", 255),
        VFAT("vfat", "mkfs.vfat", 11);

        private final String typeName;
        private final String tool;
        private final int maxLabelBytes;

        Filesystem(String typeName, String tool, int maxLabelBytes) {
            this.typeName = typeName;
            this.tool = tool;
            this.maxLabelBytes = maxLabelBytes;
        }

        /** The name blkid reports as TYPE and libvirt writes as the fs pool's format. */
        public String typeName() {
            return typeName;
        }

        /** The program that makes it. */
        public String tool() {
            return tool;
        }

        /** Longest label it stores, in bytes. */
        public int maxLabelBytes() {
            return maxLabelBytes;
        }

        /** The filesystem of that name ({@code ext4}, {@code xfs}, ...); empty for any other name. */
        public static Optional<Filesystem> fromName(String name) {
            for (Filesystem filesystem : values()) {
                if (filesystem.typeName.equals(name)) {
                    return Optional.of(filesystem);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * {@code overwrite} passes the tool's force flag; {@code label} and {@code uuid} are set
     * when present. A vfat "uuid" is its volume id, {@code ABCD-1234}.
     */
    public record Options(boolean overwrite, Optional<String> label, Optional<String> uuid) {
        public Options {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(uuid, "uuid");
        }

        /** No force, no label, a random UUID. */
        public static Options defaults() {
            return new Options(false, Optional.empty(), Optional.empty());
        }

        public Options withOverwrite() {
            return new Options(true, label, uuid);
        }

        public Options withLabel(String newLabel) {
            return new Options(overwrite, Optional.of(newLabel), uuid);
        }

        public Options withUuid(String newUuid) {
            return new Options(overwrite, label, Optional.of(newUuid));
        }
    }

    private final CommandRunner runner;

    public Mkfs(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /** Every filesystem this class can make, whether or not its tool is installed. */
    public static Set<Filesystem> supportedTypes() {
        return EnumSet.allOf(Filesystem.class);
    }

    /** Whether the tool that makes {@code filesystem} is installed. */
    public boolean available(Filesystem filesystem) {
        return runner.available(filesystem.tool());
    }

    /**
     * Makes {@code filesystem} on {@code device}, a block device or an image file, replacing
     * what was there. Large devices can take a while: give the runner a suitable timeout.
     */
    public void make(Path device, Filesystem filesystem, Options options) {
        runner.run(command(device, filesystem, options));
    }

    /** The exact command {@link #make} runs. */
    static Command command(Path device, Filesystem filesystem, Options options) {
        Objects.requireNonNull(filesystem, "filesystem");
        Objects.requireNonNull(options, "options");
        options.label().ifPresent(label -> requireLabel(filesystem, label));
        Optional<String> uuid = options.uuid().map(value -> uuidArgument(filesystem, value));
        String target = device.toAbsolutePath().toString();

        List<String> argv = new ArrayList<>(List.of(filesystem.tool()));
        switch (filesystem) {
            case EXT2, EXT3, EXT4 -> {
                argv.add("-q");
                if (options.overwrite()) {
                    argv.add("-F");
                }
                options.label().ifPresent(label -> argv.addAll(List.of("-L", label)));
                uuid.ifPresent(value -> argv.addAll(List.of("-U", value)));
            }
            case XFS -> {
                argv.add("-q");
                if (options.overwrite()) {
                    argv.add("-f");
                }
                options.label().ifPresent(label -> argv.addAll(List.of("-L", label)));
                uuid.ifPresent(value -> argv.addAll(List.of("-m", "uuid=" + value)));
            }
            case BTRFS -> {
                argv.add("-q");
                if (options.overwrite()) {
                    argv.add("-f");
                }
                options.label().ifPresent(label -> argv.addAll(List.of("-L", label)));
                uuid.ifPresent(value -> argv.addAll(List.of("-U", value)));
            }
            case VFAT -> {
                // mkfs.vfat has neither a quiet nor a force flag: it never looks for an old filesystem.
                options.label().ifPresent(label -> argv.addAll(List.of("-n", label)));
                uuid.ifPresent(value -> argv.addAll(List.of("-i", value)));
            }
        }
        argv.add(target);
        return Command.of(argv);
    }

    private static void requireLabel(Filesystem filesystem, String label) {
        if (label.isEmpty()) {
            throw new IllegalArgumentException("a filesystem label cannot be empty");
        }
        if (label.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a filesystem label cannot contain control characters");
        }
        int bytes = label.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > filesystem.maxLabelBytes()) {
            throw new IllegalArgumentException(filesystem.typeName() + " labels hold at most "
                    + filesystem.maxLabelBytes() + " bytes; \"" + label + "\" has " + bytes);
        }
        if (filesystem == Filesystem.VFAT
                && label.chars().anyMatch(c -> c > 0x7e || VFAT_FORBIDDEN.indexOf(c) >= 0)) {
            throw new IllegalArgumentException("vfat labels are printable ASCII without " + VFAT_FORBIDDEN + ": " + label);
        }
    }

    private static String uuidArgument(Filesystem filesystem, String value) {
        if (filesystem == Filesystem.VFAT) {
            var matcher = VFAT_VOLUME_ID.matcher(value);
            if (!matcher.matches()) {
                throw new IllegalArgumentException("a vfat volume id is 8 hex digits such as ABCD-1234: " + value);
            }
            return (matcher.group(1) + matcher.group(2)).toUpperCase(Locale.ROOT);
        }
        try {
            UUID uuid = UUID.fromString(value);
            if (!uuid.toString().equalsIgnoreCase(value)) {
                throw new IllegalArgumentException("not a canonical UUID: " + value);
            }
            return uuid.toString();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a UUID (8-4-4-4-12 hex digits): " + value, e);
        }
    }
}
