package org.libstorage.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.libstorage.BackendStatus;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolState;
import org.libstorage.PoolType;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;

/**
 * A test backend for {@code fs} pools that can only start, stop and refresh: every other
 * operation keeps the SPI's default, OPERATION_UNSUPPORTED. "Mounted" is a marker file in the
 * driver's private state directory.
 */
public final class FakeFsBackend implements PoolBackend {
    @Override
    public PoolType type() {
        return PoolType.FS;
    }

    @Override
    public BackendStatus status() {
        return BackendStatus.available(PoolType.FS);
    }

    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        return definition;
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        Path mounted = context.stateDir().resolve("mounted");
        return new PoolDriver() {
            @Override
            public PoolDefinition definition() {
                return definition;
            }

            @Override
            public void start() {
                FakeDirBackend.run(() -> Files.writeString(mounted, "yes"));
            }

            @Override
            public void stop() {
                FakeDirBackend.run(() -> Files.deleteIfExists(mounted));
            }

            @Override
            public boolean isActive() {
                return Files.exists(mounted);
            }

            @Override
            public PoolContents refresh() {
                return new PoolContents(new PoolInfo(PoolState.RUNNING, 1000, 0, 1000), List.of());
            }
        };
    }
}
