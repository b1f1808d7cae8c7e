package org.libstorage;

/**
 * What went wrong, in a form a program can branch on. Each code belongs to a {@link Category}
 * so that callers (and storagectl's exit status) can treat a family of failures alike.
 */
public enum ErrorCode {
    NO_SUCH_POOL(Category.NOT_FOUND),
    NO_SUCH_VOLUME(Category.NOT_FOUND),
    NO_SUCH_DEVICE(Category.NOT_FOUND),
    POOL_EXISTS(Category.CONFLICT),
    VOLUME_EXISTS(Category.CONFLICT),
    POOL_NOT_ACTIVE(Category.STATE),
    POOL_ACTIVE(Category.STATE),
    INVALID_DEFINITION(Category.INPUT),
    INVALID_ARGUMENT(Category.INPUT),
    OPERATION_UNSUPPORTED(Category.UNSUPPORTED),
    BACKEND_UNAVAILABLE(Category.UNSUPPORTED),
    NO_SPACE(Category.RESOURCE),
    DEVICE_BUSY(Category.CONFLICT),
    /** A job (clone, wipe, upload, ...) is using the volume, or the pool, in a way that excludes this operation. */
    VOLUME_BUSY(Category.CONFLICT),
    PERMISSION_DENIED(Category.PERMISSION),
    TIMEOUT(Category.RESOURCE),
    CANCELLED(Category.CANCELLED),
    NATIVE_FAILURE(Category.SYSTEM),
    COMMAND_FAILED(Category.SYSTEM),
    IO_ERROR(Category.SYSTEM),
    INTERNAL_ERROR(Category.SYSTEM),
    /** The events asked for are older than the oldest the event journal still keeps. */
    EVENTS_EXPIRED(Category.NOT_FOUND);

    /** Families of error codes; storagectl maps each to its own exit status. */
    public enum Category {
        INPUT(2), NOT_FOUND(3), CONFLICT(4), STATE(5), UNSUPPORTED(6), RESOURCE(7),
        PERMISSION(8), CANCELLED(9), SYSTEM(10);

        private final int exitStatus;

        Category(int exitStatus) {
            this.exitStatus = exitStatus;
        }

        public int exitStatus() {
            return exitStatus;
        }
    }

    private final Category category;

    ErrorCode(Category category) {
        this.category = category;
    }

    public Category category() {
        return category;
    }
}
