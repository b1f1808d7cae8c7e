package org.libstorage;

import java.util.Objects;
import java.util.Optional;

/**
 * The one exception the library throws. It names the {@link ErrorCode}, the object concerned
 * (a pool, volume or device, in the form {@code pool 'images'}), the operation that failed,
 * and keeps the lower layer's exception (a native call with its errno, or a command with its
 * argv and stderr) as the cause. The message is one sentence a person can act on.
 */
public final class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String object;
    private final String operation;

    public StorageException(ErrorCode code, String object, String operation, String message) {
        this(code, object, operation, message, null);
    }

    public StorageException(ErrorCode code, String object, String operation, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.object = object;
        this.operation = operation;
    }

    public ErrorCode code() {
        return code;
    }

    /** The object concerned, such as {@code pool 'images'} or {@code device /dev/loop3}. */
    public Optional<String> object() {
        return Optional.ofNullable(object);
    }

    /** The operation that failed, such as {@code pool-build} or {@code vol-create}. */
    public Optional<String> operation() {
        return Optional.ofNullable(operation);
    }

    @Override
    public String toString() {
        return "StorageException[" + code + "]: " + getMessage();
    }
}
