package org.libstorage.backends.dir;

import java.nio.file.Path;
import java.util.Objects;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolTarget;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/** The {@code dir} pool type: a directory of volume files. Needs only the C library; qcow2 needs qemu-img. */
@PoolBackend.Serves(PoolType.DIR)
public final class DirBackend implements PoolBackend {
    private final CommandRunner runner;

    /** For {@link java.util.ServiceLoader}. */
    public DirBackend() {
        this(CommandRunner.create());
    }

    DirBackend(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    @Override
    public PoolType type() {
        return PoolType.DIR;
    }

    @Override
    public BackendStatus status() {
        if (runner.available("qemu-img")) {
            return BackendStatus.available(PoolType.DIR);
        }
        return BackendStatus.available(PoolType.DIR,
                "qemu-img is not installed (Debian package qemu-utils): raw volumes only, no qcow2, no format conversion");
    }

    /** A dir pool needs an absolute target path; it is normalised ({@code a/../b} becomes {@code b}). */
    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        Path path = definition.targetPath().orElseThrow(() -> new StorageException(ErrorCode.INVALID_DEFINITION,
                "pool '" + definition.name() + "'", "pool-define",
                "Pool '" + definition.name() + "' of type dir needs a target path (<target><path>).")) ;
        if (!path.isAbsolute()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, "pool '" + definition.name() + "'", "pool-define",
                    "The target path '" + path + "' of pool '" + definition.name() + "' must be absolute.");
        }
        Path normal = path.normalize();
        if (normal.equals(path)) {
            return definition;
        }
        PoolTarget target = definition.target().orElseThrow();
        return definition.toBuilder().target(new PoolTarget(java.util.Optional.of(normal), target.permissions())).build();
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        PoolDefinition valid = validate(definition);
        return new DirPoolDriver(valid, valid.targetPath().orElseThrow(), runner, context.jobs());
    }
}
