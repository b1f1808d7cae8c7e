package org.libstorage.internal;

import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.util.function.Supplier;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/** The core's error vocabulary: object names, and how driver failures reach the caller. */
final class Failures {
    private Failures() {
    }

    static String pool(String name) {
        return "pool '" + name + "'";
    }

    static String volume(String name, String pool) {
        return "volume '" + name + "' in pool '" + pool + "'";
    }

    /**
     * Runs a driver call. {@link StorageException}s pass through unchanged; an interrupt
     * becomes {@link ErrorCode#CANCELLED}; any other runtime exception is a driver bug and
     * becomes {@link ErrorCode#INTERNAL_ERROR} keeping it as the cause.
     */
    static <T> T driverCall(String object, String operation, Supplier<T> call) {
        try {
            return call.get();
        } catch (StorageException e) {
            throw inContext(e, object, operation);
        } catch (RuntimeException e) {
            if (isInterrupt(e)) {
                Thread.currentThread().interrupt();
                throw new StorageException(ErrorCode.CANCELLED, object, operation,
                        "The " + operation + " of " + object + " was cancelled by an interrupt.", e);
            }
            throw new StorageException(ErrorCode.INTERNAL_ERROR, object, operation,
                    "The backend failed unexpectedly during " + operation + " of " + object + " ("
                            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                            + "), a bug in the backend; its cause says where.", e);
        }
    }

    /**
     * {@code e} with the object and the user's operation filled in where the layer that threw it
     * did not know them (an LVM runner knows it ran {@code lvcreate}, not that the user asked for
     * {@code vol-create}). Code, message and cause are kept; so is where it was thrown.
     */
    static StorageException inContext(StorageException e, String object, String operation) {
        if (e.object().isPresent() && e.operation().isPresent()) {
            return e;
        }
        StorageException filled = new StorageException(e.code(), e.object().orElse(object),
                e.operation().orElse(operation), e.getMessage(), e.getCause());
        filled.setStackTrace(e.getStackTrace());
        for (Throwable suppressed : e.getSuppressed()) {
            filled.addSuppressed(suppressed);
        }
        return filled;
    }

    static void driverRun(String object, String operation, Runnable call) {
        driverCall(object, operation, () -> {
            call.run();
            return null;
        });
    }

    private static boolean isInterrupt(RuntimeException e) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e.getCause();
        return cause instanceof ClosedByInterruptException || cause instanceof InterruptedIOException
                || cause instanceof InterruptedException;
    }

    static StorageException io(String object, String operation, String what, Exception cause) {
        if (cause instanceof java.nio.file.AccessDeniedException denied) {
            return new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "Cannot " + what + ": permission denied on " + denied.getFile()
                            + " (it belongs to another user; run as that user or name your own configuration directory).",
                    cause);
        }
        return new StorageException(ErrorCode.IO_ERROR, object, operation,
                "Cannot " + what + ": " + cause.getMessage() + ".", cause);
    }
}
