package org.libstorage.backends.zfs;

import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.lower.CommandException;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.ZfsCore;

/**
 * Turns what libzfs_core and the zfs/zpool commands report into {@link StorageException}s:
 * the errno picks the code, the message says what to do, and the library's exception (function,
 * dataset, errno) stays as the cause.
 */
final class ZfsErrors {
    /** What a missing name refers to, so ENOENT becomes the right NO_SUCH_* code. */
    enum Subject { POOL, VOLUME }

    static final String PACKAGES = "ZFS's libraries come in Debian's contrib section: " + ZfsCore.DEBIAN_PACKAGE
            + " and " + ZfsCore.NVPAIR_DEBIAN_PACKAGE;

    private ZfsErrors() {
    }

    /**
     * @param what the thing ZFS was asked to act on, as in {@code zvol tank/vms/web}
     */
    static StorageException map(NativeCallException e, Subject subject, String object, String operation, String what) {
        int errno = e.errno();
        String call = e.function() + " (" + e.errnoName() + ")";
        if (e.function().equals("libzfs_core_init")) {
            return new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation,
                    "ZFS cannot be reached: " + e.getMessage() + "; load the zfs kernel module (Debian zfs-dkms, contrib)"
                            + " with modprobe zfs.", e);
        }
        if (errno == Libc.EEXIST) {
            return new StorageException(subject == Subject.POOL ? ErrorCode.POOL_EXISTS : ErrorCode.VOLUME_EXISTS,
                    object, operation, "ZFS already has " + what + " (" + call + ").", e);
        }
        if (errno == Libc.ENOENT) {
            return new StorageException(subject == Subject.POOL ? ErrorCode.NO_SUCH_POOL : ErrorCode.NO_SUCH_VOLUME,
                    object, operation, "ZFS has no " + what + " (" + call + "); refresh the pool to see what exists.", e);
        }
        if (errno == Libc.ENOSPC || errno == Libc.EDQUOT) {
            return new StorageException(ErrorCode.NO_SPACE, object, operation, "There is not enough space in the ZFS"
                    + " pool for " + what + " (" + call + (errno == Libc.EDQUOT ? ": a quota or reservation limits it"
                    : "") + ").", e);
        }
        if (errno == Libc.EBUSY) {
            return new StorageException(ErrorCode.DEVICE_BUSY, object, operation,
                    what + " is busy (" + call + "); something holds it open or depends on it.", e);
        }
        if (errno == Libc.EINVAL || errno == ENAMETOOLONG) {
            return new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "ZFS refused " + what
                    + " as invalid (" + call + "): " + ZfsNames.RULE + "; a volume's size must be a multiple of its"
                    + " volblocksize, a power of two from 512 bytes to 128 KiB.", e);
        }
        if (errno == Libc.EPERM || errno == Libc.EACCES) {
            return new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "ZFS does not allow this user to act on " + what + " (" + call + "); run as root.", e);
        }
        if (errno == Libc.EROFS) {
            return new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    what + " is read-only (" + call + ").", e);
        }
        return new StorageException(ErrorCode.NATIVE_FAILURE, object, operation,
                "ZFS failed on " + what + ": " + e.getMessage() + ".", e);
    }

    private static final int ENAMETOOLONG = 36;

    static StorageException map(CommandException e, String object, String operation, String what) {
        return switch (e.reason()) {
            case NOT_FOUND -> new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation,
                    "The command " + e.argv().getFirst() + " is needed to " + what
                            + "; install the Debian package zfsutils-linux (contrib).", e);
            case TIMED_OUT -> new StorageException(ErrorCode.TIMEOUT, object, operation,
                    "The command to " + what + " did not finish in time: " + e.getMessage() + ".", e);
            case INTERRUPTED -> new StorageException(ErrorCode.CANCELLED, object, operation,
                    "Cancelled while waiting for the command to " + what + ".", e);
            default -> {
                String stderr = e.stderr().strip();
                ErrorCode code = stderr.contains("no such pool") || stderr.contains("dataset does not exist")
                        ? ErrorCode.NO_SUCH_POOL
                        : stderr.contains("out of space") ? ErrorCode.NO_SPACE
                        : stderr.contains("is busy") || stderr.contains("pool is busy") || stderr.contains("in use")
                        ? ErrorCode.DEVICE_BUSY : ErrorCode.COMMAND_FAILED;
                yield new StorageException(code, object, operation, "Could not " + what + ": " + e.getMessage() + ".", e);
            }
        };
    }

    static StorageException unavailable(LibraryUnavailableException e, String object, String operation) {
        return new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation,
                e.getMessage() + " (" + PACKAGES + ").", e);
    }
}
