package org.libstorage.backends.blockio;

import java.util.Objects;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * What every error of a data operation names: the object ("volume 'a' in pool 'p'") and the
 * user's operation ({@code vol-wipe}). Also the one place that turns an errno into a code and an
 * interrupt into {@code CANCELLED}.
 */
public record IoContext(String object, String operation) {
    public IoContext {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(operation, "operation");
    }

    /**
     * Stops with {@code CANCELLED} when the thread was interrupted; the interrupt status stays
     * set. {@code what} says what was stopped: "the copy into /dev/loop3p1 at byte 4096 of 8192".
     */
    public void checkInterrupt(String what) {
        if (Thread.currentThread().isInterrupted()) {
            throw cancelled(what);
        }
    }

    public StorageException cancelled(String what) {
        return new StorageException(ErrorCode.CANCELLED, object, operation,
                "Cancelled: the thread was interrupted during " + what + ".");
    }

    /** The code an errno means for a data operation. */
    public static ErrorCode code(int errno) {
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

    /** {@code action} is a verb phrase: "write 1048576 bytes at byte 0 of /dev/loop3". */
    public StorageException failure(String action, NativeCallException e) {
        String reason = e.errno() == Libc.ENOSPC ? "the filesystem or device is full"
                : e.errno() == Libc.EDQUOT ? "the disk quota is full"
                : e.libraryMessage().orElse(e.errnoName());
        return new StorageException(code(e.errno()), object, operation,
                "Could not " + action + ": " + reason + " (" + e.function() + ", " + e.errnoName() + ").", e);
    }

    public StorageException failure(ErrorCode code, String message) {
        return new StorageException(code, object, operation, message);
    }

    public StorageException failure(ErrorCode code, String message, Throwable cause) {
        return new StorageException(code, object, operation, message, cause);
    }
}
