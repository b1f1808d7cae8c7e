package org.libstorage.nativelib;

import java.util.Objects;
import java.util.Optional;
import org.libstorage.lower.LowerLayerException;

/**
 * A native library call failed. Keeps everything the library said: which library and
 * function, the errno and its symbolic name (0 and empty when the call sets none), and the
 * library's own message where it has one (libiscsi's {@code iscsi_get_error}, LVM's log).
 * One of the {@link LowerLayerException} family.
 */
public final class NativeCallException extends LowerLayerException {
    private static final long serialVersionUID = 1L;

    private final String library;
    private final String function;
    private final int errno;
    private final String errnoName;
    private final String libraryMessage;

    public NativeCallException(String library, String function, int errno, String errnoName, String libraryMessage) {
        this(library, function, errno, errnoName, libraryMessage, null);
    }

    /** A failure caused by another exception (raised on a library's own thread, an interrupt), kept as the cause. */
    public NativeCallException(String library, String function, int errno, String errnoName, String libraryMessage,
                               Throwable cause) {
        super(describe(library, function, errno, errnoName, libraryMessage), cause);
        this.library = Objects.requireNonNull(library, "library");
        this.function = Objects.requireNonNull(function, "function");
        this.errno = errno;
        this.errnoName = errnoName == null ? "" : errnoName;
        this.libraryMessage = libraryMessage;
    }

    private static String describe(String library, String function, int errno, String errnoName, String message) {
        StringBuilder sb = new StringBuilder(library).append(": ").append(function).append("() failed");
        if (errno != 0) {
            sb.append(" with ").append(errnoName == null || errnoName.isEmpty() ? "errno " + errno : errnoName)
                    .append(" (").append(errno).append(')');
        }
        if (message != null && !message.isBlank()) {
            sb.append(": ").append(message);
        }
        return sb.toString();
    }

    /** The library's soname, such as {@code libblkid.so.1}. */
    public String library() {
        return library;
    }

    public String function() {
        return function;
    }

    /** The errno the call left, or 0. */
    public int errno() {
        return errno;
    }

    /** The errno's symbolic name, such as {@code ENOENT}, or empty. */
    public String errnoName() {
        return errnoName;
    }

    /** The library's own description of the failure (strerror text, or its error channel). */
    public Optional<String> libraryMessage() {
        return Optional.ofNullable(libraryMessage);
    }
}
