package org.libstorage.backends.dir;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Permissions;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolTarget;
import org.libstorage.StorageException;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;
import org.libstorage.spi.Jobs;

/**
 * A {@code dir} pool: a directory whose files are the volumes. Build makes the directory (with
 * its parents) and sets its permissions; start checks it is there; stop has nothing to undo;
 * delete removes it when empty.
 */
final class DirPoolDriver extends FilePoolDriver {
    private final Path target;
    private final Libc libc = Libc.instance();

    DirPoolDriver(PoolDefinition definition, Path target, CommandRunner runner, Jobs jobs) {
        super(definition, target, runner, jobs);
        this.target = volumeDirectory();
    }

    /**
     * Makes the target directory, or adopts an existing one: empty always; holding files only with
     * {@link BuildMode#OVERWRITE}, which keeps them (they become the pool's volumes) rather than
     * erasing anything. Applies the definition's mode, owner and group.
     */
    @Override
    public void build(BuildMode mode) {
        String operation = "pool-build";
        Optional<Permissions> permissions = definition().target().flatMap(PoolTarget::permissions);
        Optional<Stat> existing = stat(target, operation);
        if (existing.isPresent()) {
            requireRealPath(operation);
            if (!existing.get().isDirectory()) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation,
                        "The target " + target + " of pool '" + name() + "' exists and is not a directory.");
            }
            if (mode == BuildMode.NO_OVERWRITE && !isEmpty(operation)) {
                throw new StorageException(ErrorCode.DEVICE_BUSY, object(), operation, "The target directory " + target
                        + " of pool '" + name() + "' is not empty; build with overwrite to adopt its files as volumes.");
            }
        } else {
            makeDirectory(operation);
        }
        int defaultMode = existing.isPresent() ? -1 : FileVolumes.DEFAULT_POOL_MODE;
        applyPermissions(permissions, defaultMode, operation);
    }

    private void makeDirectory(String operation) {
        try {
            Path parent = target.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.createDirectory(target);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new StorageException(ErrorCode.DEVICE_BUSY, object(), operation,
                    "The target " + target + " of pool '" + name() + "' appeared while it was being built.", e);
        } catch (IOException e) {
            throw FileErrors.io(object(), operation, "create the directory " + target, e);
        }
    }

    /** Sets the mode (exactly, whatever the umask) and owner; {@code defaultMode} -1 leaves an unasked mode alone. */
    private void applyPermissions(Optional<Permissions> permissions, int defaultMode, String operation) {
        int mode = permissions.flatMap(p -> p.mode().isPresent() ? Optional.of(p.mode().getAsInt()) : Optional.empty())
                .orElse(defaultMode);
        try (Fd dir = libc.open(target, Libc.O_RDONLY | Libc.O_DIRECTORY, 0)) {
            if (mode >= 0) {
                libc.fchmod(dir, mode);
            }
            if (permissions.isPresent() && (permissions.get().owner().isPresent() || permissions.get().group().isPresent())) {
                libc.fchown(dir, (int) permissions.get().owner().orElse(-1), (int) permissions.get().group().orElse(-1));
            }
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object(), operation, "set the permissions of " + target, e);
        }
    }

    @Override
    public void start() {
        String operation = "pool-start";
        requireRealPath(operation);
        Stat stat = stat(target, operation).orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_DEVICE, object(),
                operation, "The target directory " + target + " of pool '" + name() + "' does not exist; build the pool first."));
        if (!stat.isDirectory()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation,
                    "The target " + target + " of pool '" + name() + "' is not a directory.");
        }
        try (Fd _ = libc.open(target, Libc.O_RDONLY | Libc.O_DIRECTORY, 0)) {
            // Opening it proves we may list it: a pool we cannot read should not start.
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object(), operation, "open the target directory " + target, e);
        }
    }

    @Override
    public void stop() {
        // Nothing was set up by start.
    }

    @Override
    public boolean isActive() {
        return Files.isDirectory(target);
    }

    /**
     * Removes the target directory if it is empty. A directory still holding files is refused
     * with {@code DEVICE_BUSY}: deleting a pool never deletes volumes (delete them first).
     */
    @Override
    public void delete() {
        String operation = "pool-delete";
        try {
            Files.delete(target);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StorageException(ErrorCode.NO_SUCH_DEVICE, object(), operation,
                    "The target directory " + target + " of pool '" + name() + "' does not exist.", e);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            throw new StorageException(ErrorCode.DEVICE_BUSY, object(), operation, "The target directory " + target
                    + " of pool '" + name() + "' still holds files; delete its volumes first.", e);
        } catch (IOException e) {
            throw FileErrors.io(object(), operation, "remove the directory " + target, e);
        }
    }

    /**
     * Refuses a target reached through a symbolic link (itself or a parent), as libvirt does for
     * pools whose path must be stable: a link retargeted later would move the pool and its
     * volumes' keys. The user names the real directory instead.
     */
    private void requireRealPath(String operation) {
        Path absolute = target.toAbsolutePath().normalize();
        Path real;
        try {
            real = absolute.toRealPath();
        } catch (IOException e) {
            return; // missing: start and build say so in their own words
        }
        if (!real.equals(absolute)) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation, "The target " + target
                    + " of pool '" + name() + "' goes through a symbolic link (it is " + real + " now); a retargeted link"
                    + " would move the pool, so define the pool with the directory's real path " + real + ".");
        }
    }

    private Optional<Stat> stat(Path path, String operation) {
        try {
            return Optional.of(libc.statx(path, true));
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOENT) {
                return Optional.empty();
            }
            throw FileErrors.nativeCall(object(), operation, "look at " + path, e);
        }
    }

    private boolean isEmpty(String operation) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
            Iterator<Path> it = entries.iterator();
            return !it.hasNext();
        } catch (IOException e) {
            throw FileErrors.io(object(), operation, "list the directory " + target, e);
        }
    }

    private String name() {
        return definition().name();
    }

    private String object() {
        return "pool '" + name() + "'";
    }
}
