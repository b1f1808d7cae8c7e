package org.libstorage.backends.iscsi;

import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.nativelib.IscsiException;
import org.libstorage.nativelib.LibraryUnavailableException;

/** Turns libiscsi's failures into {@link StorageException}s whose message says what to do. */
final class IscsiErrors {
    private IscsiErrors() {
    }

    /**
     * @param object the pool or volume concerned, as in {@code pool 'san'}
     * @param where what was being reached, as in {@code target iqn... at 127.0.0.1:3260}
     */
    static StorageException map(IscsiException e, String object, String operation, String where) {
        String detail = e.libraryMessage().isBlank() ? "" : " (libiscsi: " + e.libraryMessage().strip() + ")";
        return switch (e.kind()) {
            case CONNECT -> new StorageException(ErrorCode.IO_ERROR, object, operation,
                    "Cannot connect to " + where + "; check that the target is running and listening there"
                            + detail + ".", e);
            case TIMEOUT -> new StorageException(ErrorCode.TIMEOUT, object, operation,
                    "No answer from " + where + " within the session timeout" + detail + ".", e);
            case AUTHENTICATION -> new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "The target rejected the CHAP credentials for " + where
                            + "; check the user name and the secret in the secret store.", e);
            case AUTHORIZATION -> new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "The target does not allow this initiator to log in to " + where
                            + "; check the target's ACL for the initiator IQN.", e);
            case TARGET_NOT_FOUND -> new StorageException(ErrorCode.NO_SUCH_DEVICE, object, operation,
                    "There is no such target: " + where + "; check the target IQN (find-pool-sources lists them).", e);
            case LOGIN -> new StorageException(ErrorCode.NATIVE_FAILURE, object, operation,
                    "Login to " + where + " failed" + detail + ".", e);
            case CONNECTION_LOST -> new StorageException(ErrorCode.IO_ERROR, object, operation,
                    "The connection to " + where + " was lost" + detail + ".", e);
            case SCSI_STATUS -> scsi(e, object, operation, where);
            case OTHER -> new StorageException(ErrorCode.NATIVE_FAILURE, object, operation,
                    "libiscsi failed talking to " + where + detail + ".", e);
        };
    }

    private static StorageException scsi(IscsiException e, String object, String operation, String where) {
        IscsiException.ScsiStatus status = e.scsiStatus().orElseThrow();
        if (status.logicalUnitNotSupported()) {
            return new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                    "The target has no such LUN: " + where + "; refresh the pool to see its LUNs.", e);
        }
        if (status.senseKey() == 0x07) {
            return new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "The LUN is write-protected: " + where + " (" + status + ").", e);
        }
        if (status.senseKey() == 0x05 && status.asc() == 0x21) {
            return new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The block range is beyond the end of " + where + " (" + status + ").", e);
        }
        if (status.status() == 0x08 || status.status() == 0x28) {
            return new StorageException(ErrorCode.DEVICE_BUSY, object, operation,
                    "The target is busy: " + where + " (" + status + ").", e);
        }
        return new StorageException(ErrorCode.IO_ERROR, object, operation,
                "A SCSI command failed on " + where + " (" + status + ").", e);
    }

    static StorageException unavailable(LibraryUnavailableException e, String object, String operation) {
        return new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation, e.getMessage() + ".", e);
    }
}
