package org.libstorage.backends.dir;

import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libstorage.fallback.Command;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.CommandRunner;

/**
 * Where an image's guest-visible data ends, from {@code qemu-img map --output=json}: what a
 * qcow2 shrink must not cut. qemu-img itself drops data past the new end without complaint.
 */
final class QemuMap {
    /** One extent of the map; qemu-img prints the keys in this order. */
    private static final Pattern EXTENT = Pattern.compile(
            "\\{\\s*\"start\":\\s*(\\d+),\\s*\"length\":\\s*(\\d+),[^}]*?\"data\":\\s*(true|false)");

    private QemuMap() {
    }

    /** The end of the last extent that holds data (in the image or its backing chain), or empty when none does. */
    static OptionalLong dataEnd(CommandRunner runner, Path image, String format, String object, String operation) {
        String output;
        try {
            output = runner.run(Command.of("qemu-img", "map", "--output=json", "-U", "-f", format,
                    image.toAbsolutePath().toString())).stdout();
        } catch (CommandException e) {
            throw FileErrors.command(object, operation, "map the data of " + image, e);
        }
        return dataEndOf(output);
    }

    static OptionalLong dataEndOf(String mapJson) {
        Matcher matcher = EXTENT.matcher(mapJson);
        long end = -1;
        while (matcher.find()) {
            if (matcher.group(3).equals("true")) {
                end = Math.max(end, Long.parseLong(matcher.group(1)) + Long.parseLong(matcher.group(2)));
            }
        }
        return end < 0 ? OptionalLong.empty() : OptionalLong.of(end);
    }
}
