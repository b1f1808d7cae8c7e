package org.libstorage.internal;

import org.libstorage.BackendStatus;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/** A test backend for {@code logical} pools whose library is missing on this host. */
public final class FakeUnavailableBackend implements PoolBackend {
    static final String REASON = "the library libfakelvm.so.2 is not installed (Debian package libfakelvm2)";

    @Override
    public PoolType type() {
        return PoolType.LOGICAL;
    }

    @Override
    public BackendStatus status() {
        return BackendStatus.unavailable(PoolType.LOGICAL, REASON);
    }

    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        return definition;
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        throw new AssertionError("the core must not open a driver of an unavailable backend");
    }
}
