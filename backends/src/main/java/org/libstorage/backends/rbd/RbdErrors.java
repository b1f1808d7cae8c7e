package org.libstorage.backends.rbd;

import java.util.Set;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.nativelib.NativeCallException;

/** Turns librados' and librbd's negative errnos into {@link StorageException}s that say what to do. */
final class RbdErrors {
    /** Calls that move data: a timeout there is an I/O failure of the OSDs, not an unreachable cluster. */
    private static final Set<String> DATA_CALLS = Set.of("rbd_read2", "rbd_write2", "rbd_discard", "rbd_write_zeroes",
            "rbd_flush");

    private RbdErrors() {
    }

    /**
     * @param object   the pool or volume concerned, as in {@code volume 'a' in pool 'ceph'}
     * @param monitors the monitors the cluster was reached through, for connection failures
     */
    static StorageException map(NativeCallException e, String object, String operation, String monitors) {
        String what = e.libraryMessage().orElse(e.getMessage());
        String call = e.function() + "()";
        return switch (e.errnoName()) {
            case "EEXIST" -> new StorageException(ErrorCode.VOLUME_EXISTS, object, operation,
                    "An image of that name already exists: " + call + " said " + what + ".", e);
            case "ENOENT" -> e.function().equals("rados_ioctx_create")
                    ? new StorageException(ErrorCode.NO_SUCH_POOL, object, operation,
                    "The Ceph cluster at " + monitors + " has no such pool: " + what
                            + "; create it with 'ceph osd pool create' and 'rbd pool init'.", e)
                    : new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                    "There is no such image: " + call + " said " + what + "; refresh the pool to see its images.", e);
            case "ENOSPC", "EDQUOT" -> new StorageException(ErrorCode.NO_SPACE, object, operation,
                    "The Ceph pool is full or over its quota: " + call + " said " + what + ".", e);
            case "EACCES", "EPERM" -> new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "The Ceph cluster at " + monitors + " refused access: " + call + " said " + what
                            + "; check the cephx user, its key in the secret store and its caps.", e);
            case "ETIMEDOUT" -> DATA_CALLS.contains(e.function())
                    ? new StorageException(ErrorCode.IO_ERROR, object, operation,
                    "No OSD answered within the rados_osd_op_timeout: " + call + " said " + what
                            + "; the data of that request may or may not have been written.", e)
                    : new StorageException(ErrorCode.TIMEOUT, object, operation,
                    "No answer from the Ceph monitors " + monitors + " within the timeout: " + call + " said " + what
                            + "; check that the monitors are running and reachable.", e);
            case "EBUSY" -> new StorageException(ErrorCode.VOLUME_BUSY, object, operation,
                    "The image is in use: " + call + " said " + what + ".", e);
            case "ENOTEMPTY" -> new StorageException(ErrorCode.VOLUME_BUSY, object, operation,
                    "The image has snapshots: " + call + " said " + what
                            + "; remove them first ('rbd snap purge').", e);
            case "EINVAL" -> new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "Ceph refused the request as invalid: " + call + " said " + what + ".", e);
            case "EROFS" -> new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "The image is read-only: " + call + " said " + what + ".", e);
            case "EIO", "ESHUTDOWN", "ENOTCONN", "ECONNREFUSED", "ESTALE" ->
                    new StorageException(ErrorCode.IO_ERROR, object, operation,
                            "Ceph failed the I/O: " + call + " said " + what + ".", e);
            default -> new StorageException(ErrorCode.NATIVE_FAILURE, object, operation,
                    "Ceph failed: " + e.getMessage() + ".", e);
        };
    }

    static StorageException unavailable(LibraryUnavailableException e, String object, String operation) {
        return new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation, e.getMessage() + ".", e);
    }
}
