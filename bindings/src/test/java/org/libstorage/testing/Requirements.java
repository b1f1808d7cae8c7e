package org.libstorage.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one place for what a test needs from the machine it runs on. A missing need skips the
 * test, with the reason, on a developer's machine; under {@code CI=true} it fails the test,
 * because CI installs everything and a skipped test there would hide a broken set-up.
 *
 * <p>Kernel features are asked for with {@link RequiresKernel} instead, which also tags the test
 * {@code kernel} so that it runs where the kernel has them (the QEMU lab, {@code bin/lab}).
 */
public final class Requirements {
    private static final List<String> COMMAND_DIRECTORIES = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private Requirements() {
    }

    /** Whether this run is CI's ({@code CI=true}), where every need must be met. */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Returns when {@code condition} holds; otherwise fails the test under CI and skips it
     * elsewhere, saying it needs {@code need}.
     */
    public static void require(boolean condition, String need) {
        if (condition) {
            return;
        }
        String message = "this test needs " + need;
        if (inCi()) {
            Assertions.fail("CI=true and " + message);
        }
        Assumptions.abort("skipped: " + message);
    }

    /** Requires every need in {@code missing} to be absent, reporting them all at once. */
    public static void requireNone(List<String> missing) {
        require(missing.isEmpty(), String.join(", ", missing));
    }

    /** Requires the effective user to be root, {@code why} saying what for. */
    public static void requireRoot(String why) {
        require(isRoot(), "root (" + why + ")");
    }

    /** Requires {@code command} in the system directories, {@code debianPackage} saying where it comes from. */
    public static void requireCommand(String command, String debianPackage) {
        require(hasCommand(command), command + " (Debian package " + debianPackage + ")");
    }

    /** Requires a readable file, {@code what} saying what it is and where it comes from. */
    public static void requireFile(Path file, String what) {
        require(Files.isReadable(file), what + " (" + file + ")");
    }

    /** Requires loop devices: root and a writable {@code /dev/loop-control}. */
    public static void requireLoopDevices() {
        require(Files.isWritable(Path.of("/dev/loop-control")), "loop devices (root and /dev/loop-control)");
    }

    /** Whether the effective user is root; {@code /proc/self} belongs to the effective user. */
    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Whether an executable {@code name} is in the system directories (not {@code PATH}: tests run as root). */
    public static boolean hasCommand(String name) {
        for (String dir : COMMAND_DIRECTORIES) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }
}
