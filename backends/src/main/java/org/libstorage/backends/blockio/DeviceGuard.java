package org.libstorage.backends.blockio;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.backends.hostdevices.HostDevices;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;

/**
 * What every backend does before writing to a block device: check it exists and is a block
 * device, refuse one that is in use (mounted, held by dm/md, or claimed by an exclusive
 * opener), and refuse one that carries any signature unless the caller asked to overwrite, in
 * which case the signatures are erased with libblkid. Public for the pool packages
 * ({@code fs}, {@code disk}, {@code logical}) and {@link DeviceRangeChannel}, which opens a
 * device for writing only after {@link #requireUnused}.
 */
public final class DeviceGuard {
    private DeviceGuard() {
    }

    /** A checked block device: its sysfs entry and device number. */
    public record BlockDevice(Path path, String kernelName, int major, int minor) {
    }

    /**
     * The block device at {@code device}.
     *
     * @throws StorageException {@code NO_SUCH_DEVICE} when nothing is there,
     *                          {@code INVALID_ARGUMENT} when it is not a block device
     */
    public static BlockDevice requireBlockDevice(Path device, String object, String operation) {
        Libc libc = Libc.instance();
        Stat stat;
        try {
            stat = libc.statx(device, true);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.ENOTDIR) {
                throw new StorageException(ErrorCode.NO_SUCH_DEVICE, object, operation,
                        "The device " + device + " does not exist.", e);
            }
            throw new StorageException(e.errno() == Libc.EACCES || e.errno() == Libc.EPERM
                    ? ErrorCode.PERMISSION_DENIED : ErrorCode.NATIVE_FAILURE, object, operation,
                    "Cannot look at the device " + device + ": " + e.getMessage() + ".", e);
        }
        if (!stat.isBlockDevice()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "The path " + device
                    + " is not a block device (it is a " + (stat.isDirectory() ? "directory" : stat.isRegularFile()
                    ? "regular file" : "special file") + ").");
        }
        String name = HostDevices.kernelName(stat.rdevMajor(), stat.rdevMinor()).orElse(device.getFileName().toString());
        return new BlockDevice(device, name, stat.rdevMajor(), stat.rdevMinor());
    }

    /**
     * Refuses a device that is in use: mounted (it or one of its partitions), held by a stacked
     * device (dm, md: sysfs {@code holders}), or claimed by an exclusive opener (a mounted
     * filesystem, swap, another tool), which {@code open(O_EXCL)} reports as {@code EBUSY}.
     *
     * @throws StorageException {@code DEVICE_BUSY} naming who uses it
     */
    public static void requireUnused(BlockDevice device, String object, String operation) {
        List<String> users = HostDevices.usersOf(device.major(), device.minor());
        if (users.isEmpty()) {
            Libc libc = Libc.instance();
            try (Fd fd = libc.open(device.path(), Libc.O_RDONLY | Libc.O_EXCL | Libc.O_CLOEXEC, 0)) {
                return;
            } catch (NativeCallException e) {
                if (e.errno() != Libc.EBUSY) {
                    throw new StorageException(e.errno() == Libc.EACCES || e.errno() == Libc.EPERM
                            ? ErrorCode.PERMISSION_DENIED : ErrorCode.NATIVE_FAILURE, object, operation,
                            "Cannot open the device " + device.path() + ": " + e.getMessage() + ".", e);
                }
                throw new StorageException(ErrorCode.DEVICE_BUSY, object, operation, "The device " + device.path()
                        + " is in use (another program holds it open exclusively); stop that user first.", e);
            }
        }
        throw new StorageException(ErrorCode.DEVICE_BUSY, object, operation, "The device " + device.path()
                + " is in use (" + String.join(", ", users) + "); release it before " + operation + ".");
    }

    /**
     * Makes a device ready for a new label or filesystem: it must be an unused block device
     * (see {@link #requireUnused}); then without {@code OVERWRITE} any signature on it is refused
     * with {@code DEVICE_BUSY} naming what it holds, and with {@code OVERWRITE} every signature
     * is erased (libblkid's wipe, only the magic bytes). Returns what was wiped.
     */
    public static List<Blkid.Signature> prepareForBuild(Path device, BuildMode mode, String object, String operation) {
        BlockDevice block = requireBlockDevice(device, object, operation);
        requireUnused(block, object, operation);
        Blkid blkid = Blkid.instance();
        if (!blkid.isAvailable()) {
            throw new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation,
                    "Checking " + device + " for data needs libblkid: "
                            + blkid.unavailableReason().orElse("libblkid is missing") + ".");
        }
        List<Blkid.Signature> signatures;
        try {
            signatures = blkid.signatures(device);
        } catch (NativeCallException e) {
            throw nativeFailure(object, operation, "probe " + device + " for signatures", e);
        }
        if (signatures.isEmpty()) {
            return List.of();
        }
        if (mode != BuildMode.OVERWRITE) {
            throw new StorageException(ErrorCode.DEVICE_BUSY, object, operation,
                    device + " already holds " + describe(signatures) + "; build with overwrite to erase it.");
        }
        try {
            return blkid.wipeSignatures(device);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EBUSY) {
                throw new StorageException(ErrorCode.DEVICE_BUSY, object, operation,
                        "The device " + device + " became busy while its signatures were being erased.", e);
            }
            throw nativeFailure(object, operation, "erase the signatures on " + device, e);
        }
    }

    /** "an xfs filesystem (UUID ...)", "a gpt partition table (UUID ...)", joined with "and". */
    public static String describe(List<Blkid.Signature> signatures) {
        // A GPT has a backup header and a protective MBR: name each type once, first place wins.
        Map<String, Blkid.Signature> byType = signatures.stream().collect(Collectors.toMap(Blkid.Signature::type,
                s -> s, (a, b) -> a, java.util.LinkedHashMap::new));
        return byType.values().stream().map(DeviceGuard::describe).collect(Collectors.joining(" and "));
    }

    private static String describe(Blkid.Signature s) {
        String what = switch (s.usage()) {
            case "filesystem" -> s.type() + " filesystem";
            case "partition table" -> s.type() + " partition table";
            case "raid" -> s.type() + " RAID member";
            case "crypto" -> s.type() + " encrypted volume";
            default -> s.type() + " signature";
        };
        // Said as letters, x (xfs) and an upper-case L (LVM2_member) take "an" too.
        char first = what.charAt(0);
        String article = "aeiouAEIOUxXL".indexOf(first) >= 0 ? "an " : "a ";
        List<String> details = new ArrayList<>();
        s.uuid().ifPresent(u -> details.add("UUID " + u));
        s.label().ifPresent(l -> details.add("label '" + l + "'"));
        return article + what + (details.isEmpty() ? "" : " (" + String.join(", ", details) + ")");
    }

    public static StorageException nativeFailure(String object, String operation, String action, NativeCallException e) {
        ErrorCode code = e.errno() == Libc.EACCES || e.errno() == Libc.EPERM ? ErrorCode.PERMISSION_DENIED
                : e.errno() == Libc.EBUSY ? ErrorCode.DEVICE_BUSY
                : e.errno() == Libc.ENOSPC ? ErrorCode.NO_SPACE : ErrorCode.NATIVE_FAILURE;
        return new StorageException(code, object, operation, "Could not " + action + ": " + e.getMessage() + ".", e);
    }
}
