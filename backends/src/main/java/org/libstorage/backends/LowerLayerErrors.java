package org.libstorage.backends;

import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.lower.CommandException;
import org.libstorage.lower.LowerLayerException;
import org.libstorage.nativelib.IscsiException;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.nativelib.NativeCallException;

/**
 * The one place any lower-layer failure becomes a {@link StorageException} when its caller has
 * nothing more specific to say: a switch over the sealed family, so a new kind of failure cannot
 * be forgotten. The lower-layer exception is always the cause, never text copied out of it. The
 * object and operation may be null: the core fills in the user's where a driver did not know them.
 */
public final class LowerLayerErrors {
    private LowerLayerErrors() {
    }

    /** @param what the failed action as a verb phrase ("run LVM's lvcreate"), for the message */
    public static StorageException map(LowerLayerException failure, String object, String operation, String what) {
        return switch (failure) {
            case NativeCallException e -> new StorageException(code(e), object, operation,
                    "Could not " + what + ": " + e.getMessage() + ".", e);
            case LibraryUnavailableException e -> new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation,
                    "Could not " + what + ": " + e.getMessage() + ".", e);
            case IscsiException e -> new StorageException(ErrorCode.NATIVE_FAILURE, object, operation,
                    "Could not " + what + ": " + e.getMessage() + ".", e);
            case CommandException e -> new StorageException(code(e), object, operation,
                    "Could not " + what + ": " + e.getMessage() + ".", e);
        };
    }

    /** The code an errno means when nothing more is known. */
    public static ErrorCode code(NativeCallException e) {
        int errno = e.errno();
        if (errno == Libc.ENOSPC || errno == Libc.EDQUOT || errno == Libc.EFBIG) {
            return ErrorCode.NO_SPACE;
        }
        if (errno == Libc.EACCES || errno == Libc.EPERM || errno == Libc.EROFS) {
            return ErrorCode.PERMISSION_DENIED;
        }
        if (errno == Libc.EBUSY) {
            return ErrorCode.DEVICE_BUSY;
        }
        if (errno == Libc.EIO) {
            return ErrorCode.IO_ERROR;
        }
        if (errno == Libc.EINTR) {
            return ErrorCode.CANCELLED;
        }
        return ErrorCode.NATIVE_FAILURE;
    }

    /** The code a command failure means when nothing more is known. */
    public static ErrorCode code(CommandException e) {
        return switch (e.reason()) {
            case TIMED_OUT -> ErrorCode.TIMEOUT;
            case INTERRUPTED -> ErrorCode.CANCELLED;
            case NOT_FOUND -> ErrorCode.BACKEND_UNAVAILABLE;
            case FAILED_TO_START -> e.getCause() instanceof java.nio.file.AccessDeniedException
                    ? ErrorCode.PERMISSION_DENIED : ErrorCode.COMMAND_FAILED;
            case EXIT_STATUS, BAD_OUTPUT -> ErrorCode.COMMAND_FAILED;
        };
    }
}
