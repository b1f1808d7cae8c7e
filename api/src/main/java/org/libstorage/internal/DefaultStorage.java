package org.libstorage.internal;

import org.libstorage.Storage;
import org.libstorage.StorageConfig;

/** The {@link Storage} implementation: registry, locking, pool and volume handles. */
public final class DefaultStorage {
    private DefaultStorage() {
    }

    public static Storage open(StorageConfig config) {
        throw new UnsupportedOperationException("not yet");
    }
}
