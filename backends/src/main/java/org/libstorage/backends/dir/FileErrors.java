package org.libstorage.backends.dir;

import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.lower.CommandException;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/** Turns the lower layers' failures into {@link StorageException}s with the right code. */
final class FileErrors {
    private FileErrors() {
    }

    /** The code for an errno that needs no more context than "this call on this file failed". */
    static ErrorCode code(NativeCallException e) {
        int errno = e.errno();
        if (errno == Libc.ENOSPC || errno == Libc.EDQUOT || errno == Libc.EFBIG) {
            return ErrorCode.NO_SPACE;
        }
        if (errno == Libc.EACCES || errno == Libc.EPERM || errno == Libc.EROFS) {
            return ErrorCode.PERMISSION_DENIED;
        }
        if (errno == Libc.EEXIST) {
            return ErrorCode.VOLUME_EXISTS;
        }
        if (errno == Libc.EBUSY || errno == Libc.ENOTEMPTY) {
            return ErrorCode.DEVICE_BUSY;
        }
        if (errno == Libc.EIO) {
            return ErrorCode.IO_ERROR;
        }
        if (errno == Libc.ELOOP) {
            return ErrorCode.INVALID_ARGUMENT;
        }
        return ErrorCode.NATIVE_FAILURE;
    }

    /** {@code what} is the failed action as a verb phrase: "create /p/a". */
    static StorageException nativeCall(String object, String operation, String what, NativeCallException e) {
        return new StorageException(code(e), object, operation,
                "Could not " + what + ": " + e.libraryMessage().orElse(e.errnoName()) + " (" + e.function() + ", "
                        + e.errnoName() + ").", e);
    }

    static StorageException command(String object, String operation, String what, CommandException e) {
        if (e.reason() == CommandException.Reason.INTERRUPTED) {
            return cancelled(object, operation, what, e);
        }
        if (e.reason() == CommandException.Reason.TIMED_OUT) {
            return new StorageException(ErrorCode.TIMEOUT, object, operation, "Could not " + what + ": " + e.getMessage() + ".", e);
        }
        if (e.reason() == CommandException.Reason.NOT_FOUND) {
            return new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation,
                    "Could not " + what + ": qemu-img is not installed (Debian package qemu-utils).", e);
        }
        String stderr = e.stderr().strip();
        ErrorCode code = stderr.contains("No space left on device") ? ErrorCode.NO_SPACE : ErrorCode.COMMAND_FAILED;
        return new StorageException(code, object, operation,
                "Could not " + what + ": " + (stderr.isEmpty() ? e.getMessage() : lastLine(stderr)) + ".", e);
    }

    static StorageException cancelled(String object, String operation, String what, Throwable cause) {
        return new StorageException(ErrorCode.CANCELLED, object, operation,
                "Cancelled: the thread was interrupted while it was going to " + what + ".", cause);
    }

    static StorageException io(String object, String operation, String what, java.io.IOException e) {
        ErrorCode code = e instanceof java.nio.file.NoSuchFileException ? ErrorCode.NO_SUCH_DEVICE
                : e instanceof java.nio.file.AccessDeniedException ? ErrorCode.PERMISSION_DENIED
                : ErrorCode.IO_ERROR;
        return new StorageException(code, object, operation, "Could not " + what + ": " + e.getMessage() + ".", e);
    }

    private static String lastLine(String text) {
        int nl = text.lastIndexOf('\n');
        String line = nl < 0 ? text : text.substring(nl + 1);
        return line.startsWith("qemu-img: ") ? line.substring("qemu-img: ".length()) : line;
    }
}
