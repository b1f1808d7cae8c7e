package org.libstorage.backends.fs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.HostDevice;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolTarget;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.backends.hostdevices.HostDevices;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.fallback.Mkfs;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.Mount;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/**
 * The {@code fs} pool type: a block device holding a filesystem, mounted on the target
 * directory on start; its volumes are files, exactly as in a {@code dir} pool. Mounting goes
 * through libmount, probing through libblkid; only making a filesystem runs a program (mkfs).
 */
@PoolBackend.Serves(PoolType.FS)
public final class FsBackend implements PoolBackend {
    /** The format that lets libmount probe the filesystem. */
    static final String AUTO = "auto";

    private final CommandRunner runner;

    /** For {@link java.util.ServiceLoader}. */
    public FsBackend() {
        this(CommandRunner.create());
    }

    FsBackend(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    @Override
    public PoolType type() {
        return PoolType.FS;
    }

    @Override
    public BackendStatus status() {
        if (!Mount.instance().isAvailable()) {
            return BackendStatus.unavailable(PoolType.FS, Mount.instance().unavailableReason().orElse("libmount is missing"));
        }
        if (!Blkid.instance().isAvailable()) {
            return BackendStatus.unavailable(PoolType.FS, Blkid.instance().unavailableReason().orElse("libblkid is missing"));
        }
        Mkfs mkfs = new Mkfs(runner);
        List<String> missing = Mkfs.supportedTypes().stream().filter(f -> !mkfs.available(f))
                .map(f -> f.tool()).toList();
        return missing.isEmpty() ? BackendStatus.available(PoolType.FS)
                : BackendStatus.available(PoolType.FS, "pool-build cannot make every filesystem here: "
                        + String.join(", ", missing) + " not installed");
    }

    /**
     * An fs pool needs exactly one absolute source device and an absolute target path; its
     * format ({@code <source><format type=..>}) is a filesystem libblkid knows, or {@code auto}
     * (the default).
     */
    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        String object = "pool '" + definition.name() + "'";
        String operation = "pool-define";
        List<PoolSource.Device> devices = definition.source().devices();
        if (devices.size() != 1) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "Pool '" + definition.name()
                    + "' of type fs needs exactly one source device (<source><device path=..>), not " + devices.size() + ".");
        }
        Path device = devices.getFirst().path();
        if (!device.isAbsolute()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation,
                    "The source device '" + device + "' of pool '" + definition.name() + "' must be an absolute path.");
        }
        Path target = definition.targetPath().orElseThrow(() -> new StorageException(ErrorCode.INVALID_DEFINITION,
                object, operation, "Pool '" + definition.name() + "' of type fs needs a target path (<target><path>)."));
        if (!target.isAbsolute()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation,
                    "The target path '" + target + "' of pool '" + definition.name() + "' must be absolute.");
        }
        Optional<String> format = definition.source().format();
        if (format.isPresent() && !format.get().equals(AUTO) && Mkfs.Filesystem.fromName(format.get()).isEmpty()
                && Blkid.instance().isAvailable() && !Blkid.instance().knownFilesystemType(format.get())) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "The format '" + format.get()
                    + "' of pool '" + definition.name() + "' is not a filesystem type (use ext4, xfs, btrfs, vfat, ... or auto).");
        }
        Path normal = target.normalize();
        if (normal.equals(target)) {
            return definition;
        }
        PoolTarget t = definition.target().orElseThrow();
        return definition.toBuilder().target(new PoolTarget(Optional.of(normal), t.permissions())).build();
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        PoolDefinition valid = validate(definition);
        return new FsPoolDriver(valid, runner, context.jobs());
    }

    /** Every host device holding a filesystem, with that filesystem as the source format. */
    @Override
    public List<PoolSource> findPoolSources(Optional<PoolSource> hint) {
        List<PoolSource> sources = new ArrayList<>();
        for (HostDevice device : new HostDevices().hostDevices()) {
            HostDevice.Probe probe = device.probe();
            if (probe.usage().filter("filesystem"::equals).isPresent() && probe.type().isPresent()) {
                sources.add(PoolSource.builder().device(device.path()).format(probe.type().get()).build());
            }
        }
        return List.copyOf(sources);
    }
}
