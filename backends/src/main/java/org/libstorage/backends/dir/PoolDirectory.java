package org.libstorage.backends.dir;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.Permissions;
import org.libstorage.PoolDefinition;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.backends.blockio.FileRangeChannel;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;
import org.libstorage.spi.Job;
import org.libstorage.spi.Jobs;

/**
 * The directory of a file pool as every volume operation reaches it: through a descriptor of the
 * directory ({@code openat}, {@code O_EXCL|O_NOFOLLOW}, {@code unlinkat}), with modes set exactly
 * whatever the umask, errors mapped to the caller's operation, and new volumes filled under their
 * job's hidden temporary name ({@link NewFile}). Shared by {@link FileVolumes}, {@link VolumeScan},
 * {@link DataCopy} and {@link Wipe}; it calls none of them back.
 */
final class PoolDirectory {
    private static final System.Logger LOG = System.getLogger(PoolDirectory.class.getName());
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final PoolDefinition pool;
    private final Path directory;
    private final Libc libc;
    private final Jobs jobs;

    PoolDirectory(PoolDefinition pool, Path directory, Libc libc, Jobs jobs) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
        this.libc = Objects.requireNonNull(libc, "libc");
        this.jobs = Objects.requireNonNull(jobs, "jobs");
    }

    Path directory() {
        return directory;
    }

    /** Allocates {@code [offset, offset + length)}; writes zeros where the filesystem cannot fallocate. */
    void allocate(Fd file, String name, long offset, long length, String object, String operation) {
        try {
            libc.fallocate(file, 0, offset, length);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EOPNOTSUPP) {
                // No fallocate here (tmpfs is not one; some FUSE filesystems are): the data path writes zeros.
                try (FileRangeChannel zeros = FileRangeChannel.borrowing(file, directory.resolve(name), offset, length,
                        FileRangeChannel.Zeroing.WRITE, new IoContext(object, operation))) {
                    zeros.zero(0, length);
                }
                return;
            }
            if (e.errno() == Libc.ENOSPC || e.errno() == Libc.EDQUOT) {
                throw noSpace(object, operation, "allocate " + length + " bytes for volume '" + name + "'", e);
            }
            throw FileErrors.nativeCall(object, operation, "allocate " + length + " bytes for " + directory.resolve(name), e);
        }
    }

    String poolObject() {
        return "pool '" + pool.name() + "'";
    }

    String volumeObject(String name) {
        return "volume '" + name + "' in pool '" + pool.name() + "'";
    }

    PoolDefinition pool() {
        return pool;
    }

    /** The directory's canonical path: the prefix of every volume key. */
    Path realDirectory(String operation) {
        try {
            return directory.toRealPath();
        } catch (IOException e) {
            throw FileErrors.io(poolObject(), operation, "resolve the pool directory " + directory, e);
        }
    }

    Fd openDirectory(String object, String operation) {
        try {
            // O_NOFOLLOW: a target swapped for a symlink after the pool started must not move the
            // pool (a wipe or delete would hit files that were never in it).
            return libc.open(directory, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW, 0);
        } catch (NativeCallException e) {
            // With O_DIRECTORY a symlink fails as ENOTDIR rather than ELOOP: tell the two apart.
            boolean link = e.errno() == Libc.ELOOP
                    || (e.errno() == Libc.ENOTDIR && Files.isSymbolicLink(directory));
            if (link) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "The directory " + directory
                        + " of pool '" + pool.name() + "' is now a symbolic link; it is not followed, since that would"
                        + " move the pool elsewhere. Put the directory back, or stop the pool and define it with the"
                        + " real directory.", e);
            }
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.ENOTDIR) {
                throw gone(object, operation, e);
            }
            throw FileErrors.nativeCall(object, operation, "open the pool directory " + directory, e);
        }
    }

    StorageException gone(String object, String operation, NativeCallException e) {
        return new StorageException(ErrorCode.POOL_NOT_ACTIVE, object, operation, "The directory " + directory
                + " of pool '" + pool.name() + "' is gone (" + e.errnoName() + "); build and start the pool again.", e);
    }

    /**
     * Creates {@code name} in {@code dir} with {@code O_CREAT|O_EXCL|O_NOFOLLOW}: an existing
     * entry, a racing creator or a planted symlink all fail with {@code VOLUME_EXISTS}.
     */
    Fd createFile(Fd dir, String name, int mode, String object, String operation) {
        try {
            return libc.openAt(dir, name, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW, mode);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EEXIST) {
                throw new StorageException(ErrorCode.VOLUME_EXISTS, object, operation, "Pool '" + pool.name()
                        + "' already has an entry named '" + name + "' (" + directory.resolve(name) + ").", e);
            }
            if (e.errno() == Libc.ENOSPC || e.errno() == Libc.EDQUOT) {
                throw noSpace(object, operation, "create the file for volume '" + name + "'", e);
            }
            throw FileErrors.nativeCall(object, operation, "create " + directory.resolve(name), e);
        }
    }

    /**
     * The hidden name a new volume {@code name} is filled under: its job's temporary name. Outside
     * a job (a quick create under the pool's lock) a name of the same form with a fresh id, which
     * no claim backs: only a refresh could take it for abandoned, and refreshes wait for that lock.
     */
    String temporaryName(String name, String operation) {
        Job job = jobs.current().filter(j -> j.volume().equals(name)).orElseGet(() -> new Job(
                ProcessHandle.current().pid() + "-" + java.util.HexFormat.of().toHexDigits(RANDOM.nextLong()), name,
                operation));
        return job.temporaryName();
    }

    /** Marks a stage of the running job (a test seam: see {@link Jobs#reached}). */
    void reached(String stage) {
        jobs.reached(stage);
    }

    /**
     * Makes the file of new volume {@code name} under its temporary name ({@code O_EXCL|O_NOFOLLOW},
     * mode set exactly), after checking the name itself is free so nothing is filled in vain.
     */
    NewFile newFile(Fd dir, String name, int mode, String object, String operation) {
        if (Job.isTemporary(name)) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "Volume names starting with "
                    + Job.TEMPORARY_PREFIX + " are reserved for volumes being made; choose another name.");
        }
        boolean taken;
        try {
            // statxIfPresent: a free name (the usual case) is an answer, not an exception to build.
            taken = libc.statxIfPresent(directory.resolve(name), false).isPresent();
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object, operation, "look at " + directory.resolve(name), e);
        }
        if (taken) {
            throw new StorageException(ErrorCode.VOLUME_EXISTS, object, operation, "Pool '" + pool.name()
                    + "' already has an entry named '" + name + "' (" + directory.resolve(name) + ").");
        }
        String temporary = temporaryName(name, operation);
        Fd fd = createFile(dir, temporary, mode, object, operation);
        try {
            libc.fchmod(fd, mode); // exactly this mode, whatever the umask (liblvm2cmd sets 0077 around its calls)
        } catch (NativeCallException e) {
            fd.close();
            removeAfterFailure(dir, temporary, e);
            throw FileErrors.nativeCall(object, operation, "set the mode of " + directory.resolve(temporary), e);
        }
        jobs.reached("temporary-created");
        return new NewFile(dir, fd, name, temporary, object, operation);
    }

    /**
     * A new volume's file while it is being filled: under a hidden temporary name, renamed to the
     * volume's name by {@link #commit()} once complete. Closing it without a commit removes it.
     */
    final class NewFile implements AutoCloseable {
        private final Fd dir;
        private final Fd fd;
        private final String name;
        private final String temporary;
        private final String object;
        private final String operation;
        private boolean committed;

        private NewFile(Fd dir, Fd fd, String name, String temporary, String object, String operation) {
            this.dir = dir;
            this.fd = fd;
            this.name = name;
            this.temporary = temporary;
            this.object = object;
            this.operation = operation;
        }

        Fd fd() {
            return fd;
        }

        /** Where the file is now, for tools that take a path (qemu-img). */
        Path path() {
            return directory.resolve(temporary);
        }

        /**
         * Renames the complete file to the volume's name, never over an existing entry
         * ({@code RENAME_NOREPLACE}; where the filesystem lacks it, a plain rename after checking
         * the name is free, which the core's claim on the name keeps libstorage's own creators from racing).
         */
        void commit() {
            jobs.reached("temporary-complete");
            try {
                libc.renameAt(dir, temporary, dir, name, Libc.RENAME_NOREPLACE);
            } catch (NativeCallException e) {
                if (e.errno() == Libc.EINVAL) {
                    renameWithoutNoReplace();
                } else if (e.errno() == Libc.EEXIST) {
                    throw new StorageException(ErrorCode.VOLUME_EXISTS, object, operation, "Pool '" + pool.name()
                            + "' already has an entry named '" + name + "' (" + directory.resolve(name) + ").", e);
                } else {
                    throw FileErrors.nativeCall(object, operation, "rename " + path() + " to " + name, e);
                }
            }
            committed = true;
        }

        private void renameWithoutNoReplace() {
            try {
                libc.statx(directory.resolve(name), false);
                throw new StorageException(ErrorCode.VOLUME_EXISTS, object, operation, "Pool '" + pool.name()
                        + "' got an entry named '" + name + "' from elsewhere while the volume was being made.");
            } catch (NativeCallException absent) {
                if (absent.errno() != Libc.ENOENT) {
                    throw FileErrors.nativeCall(object, operation, "look at " + directory.resolve(name), absent);
                }
            }
            try {
                libc.renameAt(dir, temporary, dir, name, 0);
            } catch (NativeCallException e) {
                throw FileErrors.nativeCall(object, operation, "rename " + path() + " to " + name, e);
            }
        }

        @Override
        public void close() {
            fd.close();
            if (!committed) {
                try {
                    libc.unlinkAt(dir, temporary, 0);
                } catch (NativeCallException e) {
                    if (e.errno() != Libc.ENOENT) {
                        LOG.log(Level.WARNING, "could not remove the partial volume " + path(), e);
                    }
                }
            }
        }
    }

    /** Opens an existing volume without following a symlink: one planted in its place is refused. */
    Fd openVolume(Fd dir, VolumeDefinition volume, int access, String object, String operation) {
        try {
            return libc.openAt(dir, volume.name(), access | Libc.O_NOFOLLOW | Libc.O_NONBLOCK, 0);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOENT) {
                throw new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                        "Volume '" + volume.name() + "' is no longer in pool '" + pool.name() + "' (" + directory + ").", e);
            }
            if (e.errno() == Libc.ELOOP) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, directory.resolve(volume.name())
                        + " is a symbolic link; volumes of pool '" + pool.name() + "' are never followed through links.", e);
            }
            if (e.errno() == Libc.EISDIR) {
                throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                        "Volume '" + volume.name() + "' is a directory; " + operation + " works on files.", e);
            }
            throw FileErrors.nativeCall(object, operation, "open " + directory.resolve(volume.name()), e);
        }
    }

    Stat requireRegular(Fd file, VolumeDefinition volume, String object, String operation) {
        Stat stat = libc.statx(file);
        if (!stat.isRegularFile()) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                    directory.resolve(volume.name()) + " is not a regular file; " + operation + " works on files.");
        }
        return stat;
    }

    void applyPermissions(Fd file, Optional<Permissions> permissions, int mode, String object, String operation) {
        try {
            libc.fchmod(file, mode); // exactly this mode, whatever the process umask
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object, operation, "set the owner and mode of a new file in " + directory, e);
        }
        applyOwner(file, permissions, object, operation);
    }

    /** The owner and group asked for, if any; for a file from {@link #newFile}, whose mode is set already. */
    void applyOwner(Fd file, Optional<Permissions> permissions, String object, String operation) {
        if (permissions.isEmpty() || (permissions.get().owner().isEmpty() && permissions.get().group().isEmpty())) {
            return;
        }
        try {
            libc.fchown(file, (int) permissions.get().owner().orElse(-1), (int) permissions.get().group().orElse(-1));
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object, operation, "set the owner and mode of a new file in " + directory, e);
        }
    }

    /** Removes a file this operation made, keeping any trouble doing so on the original failure. */
    void removeAfterFailure(Fd dir, String name, Throwable failure) {
        try {
            libc.unlinkAt(dir, name, 0);
        } catch (NativeCallException e) {
            if (e.errno() != Libc.ENOENT) {
                failure.addSuppressed(e);
                LOG.log(Level.WARNING, "could not remove the partial volume " + directory.resolve(name), e);
            }
        }
    }

    StorageException noSpace(String object, String operation, String what, NativeCallException e) {
        long available = -1;
        try {
            available = libc.statvfs(directory).availableBytes();
        } catch (NativeCallException ignored) {
            // the numbers are a courtesy; the errno says it all
        }
        return new StorageException(ErrorCode.NO_SPACE, object, operation, "Could not " + what + ": the filesystem holding "
                + directory + " is full" + (available >= 0 ? " (" + available + " bytes available)" : "") + " ("
                + e.errnoName() + ").", e);
    }
}
