package org.libstorage.spi;

import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.StorageException;

/** Builds the {@code OPERATION_UNSUPPORTED} errors of operations a pool type does not have. */
public final class Unsupported {
    private Unsupported() {
    }

    public static StorageException operation(PoolDefinition pool, String operation) {
        return new StorageException(ErrorCode.OPERATION_UNSUPPORTED, "pool '" + pool.name() + "'", operation,
                "Pools of type " + pool.type() + " do not support " + operation + " (pool '" + pool.name() + "').");
    }

    public static StorageException operation(PoolType type, String operation) {
        return new StorageException(ErrorCode.OPERATION_UNSUPPORTED, null, operation,
                "Pools of type " + type + " do not support " + operation + ".");
    }
}
