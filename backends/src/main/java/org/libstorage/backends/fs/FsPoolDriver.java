package org.libstorage.backends.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.StorageException;
import org.libstorage.backends.dir.FilePoolDriver;
import org.libstorage.backends.blockio.DeviceGuard;
import org.libstorage.backends.blockio.DeviceGuard.BlockDevice;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.fallback.Mkfs;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.Mount;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;

/**
 * An {@code fs} pool: build makes the filesystem (after {@link DeviceGuard} checked the device),
 * start mounts it on the target with the definition's mount options, stop unmounts it. The
 * volumes are the files in the mounted directory, handled by the {@code dir} pool's code.
 */
final class FsPoolDriver extends FilePoolDriver {
    private final Path device;
    private final Path target;
    private final Mkfs mkfs;
    private final Mount mount = Mount.instance();

    FsPoolDriver(PoolDefinition definition, CommandRunner runner, org.libstorage.spi.Jobs jobs) {
        super(definition, definition.targetPath().orElseThrow(), runner, jobs);
        this.device = definition.source().devices().getFirst().path();
        this.target = definition.targetPath().orElseThrow();
        this.mkfs = new Mkfs(runner);
    }

    private String object() {
        return "pool '" + definition().name() + "'";
    }

    private Optional<String> format() {
        return definition().source().format().filter(f -> !f.equals(FsBackend.AUTO));
    }

    /**
     * Makes the defined filesystem on the source device and the target directory. A device
     * that is mounted or held is refused ({@code DEVICE_BUSY}), as is one carrying any
     * signature unless {@code OVERWRITE}, which erases the signatures first. Nothing is written
     * before every check passed.
     */
    @Override
    public void build(BuildMode mode) {
        String operation = "pool-build";
        String name = format().orElseThrow(() -> new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation,
                "Pool '" + definition().name() + "' has format auto; building it needs a definite filesystem"
                        + " (<source><format type='ext4'/>)."));
        Mkfs.Filesystem filesystem = Mkfs.Filesystem.fromName(name).orElseThrow(() -> new StorageException(
                ErrorCode.INVALID_DEFINITION, object(), operation, "No mkfs is known for the format '" + name
                        + "' of pool '" + definition().name() + "'; libstorage makes "
                        + Mkfs.supportedTypes().stream().map(Mkfs.Filesystem::typeName).toList() + "."));
        if (!mkfs.available(filesystem)) {
            throw new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object(), operation,
                    filesystem.tool() + " is not installed, so pool '" + definition().name() + "' cannot be built as "
                            + name + ".");
        }
        DeviceGuard.prepareForBuild(device, mode, object(), operation);
        try {
            mkfs.make(device, filesystem, mode == BuildMode.OVERWRITE ? Mkfs.Options.defaults().withOverwrite()
                    : Mkfs.Options.defaults());
        } catch (CommandException e) {
            throw new StorageException(ErrorCode.COMMAND_FAILED, object(), operation, "Could not make " + name + " on "
                    + device + ": " + lastLine(e.stderr().isBlank() ? e.getMessage() : e.stderr()) + ".", e);
        }
        makeTarget(operation);
    }

    private void makeTarget(String operation) {
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, object(), operation,
                    "Could not create the target directory " + target + ": " + e.getMessage() + ".", e);
        }
    }

    /**
     * Mounts the source device on the target. The filesystem found on the device must be the
     * defined format (unless {@code auto}); a device holding none, or another one, is refused
     * with {@code INVALID_DEFINITION} before anything is mounted.
     */
    @Override
    public void start() {
        String operation = "pool-start";
        BlockDevice block = DeviceGuard.requireBlockDevice(device, object(), operation);
        if (isMountedHere(block)) {
            return;
        }
        Blkid.Probe probe;
        try {
            probe = Blkid.instance().probe(device);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(object(), operation, "probe " + device, e);
        }
        Optional<String> found = probe.usage().filter("filesystem"::equals).flatMap(u -> probe.type());
        if (found.isEmpty()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation, "The device " + device
                    + " of pool '" + definition().name() + "' holds no filesystem"
                    + probe.type().map(t -> " (it holds " + t + ")").orElse("") + "; build the pool first.");
        }
        if (format().isPresent() && !format().get().equals(found.get())) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation, "The device " + device
                    + " holds a filesystem of type " + found.get() + probe.uuid().map(u -> " (UUID " + u + ")").orElse("")
                    + ", but pool '" + definition().name() + "' is defined as " + format().get() + ".");
        }
        if (!Files.isDirectory(target)) {
            makeTarget(operation);
        }
        try {
            mount.mount(device, target, found, definition().mountOptions());
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(object(), operation, "mount " + device + " on " + target, e);
        }
    }

    @Override
    public void stop() {
        String operation = "pool-stop";
        if (!isActive()) {
            return;
        }
        try {
            mount.unmount(target);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(object(), operation, "unmount " + target, e);
        }
    }

    /** Mounted: the source device's filesystem is mounted on the target. */
    @Override
    public boolean isActive() {
        try {
            return isMountedHere(DeviceGuard.requireBlockDevice(device, object(), "pool-info"));
        } catch (StorageException e) {
            return false;
        }
    }

    private boolean isMountedHere(BlockDevice block) {
        long devno = Stat.makedev(block.major(), block.minor());
        Path real = realTarget();
        return mount.mountTable().stream().anyMatch(e -> e.device() == devno && e.target().equals(real));
    }

    private Path realTarget() {
        try {
            return target.toRealPath();
        } catch (IOException e) {
            return target;
        }
    }

    /** Removes the (unmounted, empty) target directory; the filesystem on the device stays. */
    @Override
    public void delete() {
        String operation = "pool-delete";
        if (isActive()) {
            throw new StorageException(ErrorCode.POOL_ACTIVE, object(), operation,
                    "Pool '" + definition().name() + "' is still mounted on " + target + "; stop it first.");
        }
        try {
            Files.deleteIfExists(target);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            throw new StorageException(ErrorCode.DEVICE_BUSY, object(), operation,
                    "The target directory " + target + " of pool '" + definition().name() + "' is not empty.", e);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, object(), operation,
                    "Could not remove the target directory " + target + ": " + e.getMessage() + ".", e);
        }
    }

    private static String lastLine(String text) {
        String stripped = text.strip();
        int nl = stripped.lastIndexOf('\n');
        return nl < 0 ? stripped : stripped.substring(nl + 1);
    }
}
