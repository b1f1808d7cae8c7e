package org.libstorage.backends.dir;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeDefinition.BackingStore;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.blockio.FileRangeChannel;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.fallback.QemuImg;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;
import org.libstorage.spi.Jobs;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.VolumeSource;

/**
 * The volumes of a pool that keeps them as files in one directory: the {@code dir} pool's
 * whole volume side, and the {@code fs}/{@code netfs} pools' once their filesystem is mounted.
 * Public for those backends' packages; the package is not exported.
 *
 * <p>Every operation goes through a descriptor of the directory ({@code openat},
 * {@code unlinkat}, {@code O_NOFOLLOW}), so a volume name never resolves through a symlink and
 * a symlink planted in the pool is never followed out of it. Volume keys and paths are the
 * canonical path of the file, as libvirt reports them for directory pools.
 *
 * <p>Formats: raw files are made with {@code ftruncate}/{@code fallocate}; qcow2 and the other
 * qemu formats through {@code qemu-img}. Downloads and uploads of a qcow2 volume carry the file's
 * own bytes (the image, not the guest's view), as libvirt's do.
 *
 * <p>This class is the volumes' life cycle (create, delete, resize, wipe, copy, snapshot,
 * streams); {@link VolumeScan} lists and describes them, {@link PoolDirectory} is the directory
 * handle and error mapping they all share, and {@link DataCopy} and {@link Wipe} move the data.
 * None of those calls back into this class.
 */
public final class FileVolumes {
    /** libvirt's defaults for a new volume file and a new pool directory. */
    static final int DEFAULT_VOLUME_MODE = 0600;
    static final int DEFAULT_POOL_MODE = 0711;
    /** Formats qemu-img creates for us; raw is made natively. */
    static final Set<String> QEMU_FORMATS = Set.of("qcow2", "qed", "vmdk", "vdi", "vpc", "vhdx", "qcow");

    private final PoolDefinition pool;
    private final Path directory;
    private final CommandRunner runner;
    private final QemuImg qemuImg;
    private final Libc libc;
    private final PoolDirectory files;
    private final VolumeScan scan;

    /**
     * @param pool      the pool's definition, for the names in messages
     * @param directory where the volume files are (a dir pool's target, an fs pool's mount point)
     * @param runner    runs qemu-img for the image formats
     */
    public FileVolumes(PoolDefinition pool, Path directory, CommandRunner runner) {
        this(pool, directory, runner, Jobs.NONE);
    }

    /** @param jobs the pool's jobs: new volumes are filled under their job's temporary name */
    public FileVolumes(PoolDefinition pool, Path directory, CommandRunner runner, Jobs jobs) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
        this.runner = Objects.requireNonNull(runner, "runner");
        this.qemuImg = new QemuImg(runner);
        this.libc = Libc.instance();
        this.files = new PoolDirectory(pool, this.directory, libc, Objects.requireNonNull(jobs, "jobs"));
        this.scan = new VolumeScan(files, pool, libc, jobs);
    }

    public Path directory() {
        return directory;
    }

    // ---- scanning: see VolumeScan ---------------------------------------------------------

    /** The space of the filesystem holding the directory and every volume in it, sorted by name. */
    public PoolContents refresh() {
        return scan.refresh();
    }

    /** The pool's capacity, allocation and available bytes, from {@code statvfs}. */
    public PoolInfo space(String operation) {
        return scan.space(operation);
    }

    /** The volume named {@code name} as a refresh would report it, or empty when there is none. */
    public Optional<VolumeDefinition> describe(String name) {
        return scan.describe(name);
    }











    // ---- create -------------------------------------------------------------------------

    /**
     * Creates a volume: raw sparse ({@code ftruncate}), raw preallocated ({@code fallocate} of
     * the allocation, which may be less than the capacity), or a qemu format through qemu-img,
     * optionally over a backing store. Refuses a name that exists (even as a dangling symlink);
     * leaves nothing behind on failure.
     */
    public VolumeDefinition create(VolumeDefinition volume) {
        String operation = "vol-create";
        String object = volumeObject(volume.name());
        VolumeFormat format = volume.format().orElse(VolumeFormat.RAW);
        boolean raw = format.equals(VolumeFormat.RAW);
        if (!raw && !QEMU_FORMATS.contains(format.name())) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                    "Cannot create volume '" + volume.name() + "' in format '" + format + "': pool '" + pool.name()
                            + "' creates raw files and the qemu image formats " + QEMU_FORMATS + ".");
        }
        if (volume.target().encryption().isPresent()) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation, "Pool '" + pool.name()
                    + "' cannot create encrypted volumes ('" + volume.name() + "'); create it without <encryption>.");
        }
        if (volume.target().clusterSize().isPresent() && !format.equals(VolumeFormat.QCOW2)) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "A cluster size applies to qcow2 volumes only, not to '" + volume.name() + "' in format " + format + ".");
        }
        if (raw && volume.backingStore().isPresent()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "A raw volume cannot have a backing store ('" + volume.name() + "'); use format qcow2.");
        }
        if (volume.capacity() == 0 && volume.backingStore().isEmpty()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The capacity of volume '" + volume.name() + "' is 0 bytes; give a positive capacity.");
        }
        Optional<String> backingFormat = volume.backingStore().map(b -> scan.backingFormat(b, object, operation));
        long allocation = Math.min(volume.allocation().orElse(0), volume.capacity());
        QemuImg.CreateOptions options = raw ? QemuImg.CreateOptions.defaults()
                : imageOptions(volume, format, allocation, object, operation);
        int mode = volume.target().permissions().flatMap(p -> p.mode().isPresent()
                ? Optional.of(p.mode().getAsInt()) : Optional.empty()).orElse(DEFAULT_VOLUME_MODE);

        try (Fd dir = files.openDirectory(object, operation);
             PoolDirectory.NewFile file = files.newFile(dir, volume.name(), mode, object, operation)) {
            files.applyOwner(file.fd(), volume.target().permissions(), object, operation); // newFile set the mode
            if (raw) {
                sizeRawFile(file.fd(), volume.name(), volume.capacity(), allocation, object, operation);
            } else {
                createImage(volume, file.path(), format, options, backingFormat, object, operation);
            }
            file.commit();
        }
        return scan.describeCreated(volume.name(), object, operation);
    }


    private void sizeRawFile(Fd file, String name, long capacity, long allocation, String object, String operation) {
        try {
            libc.ftruncate(file, capacity);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EFBIG || e.errno() == Libc.EINVAL) {
                throw new StorageException(ErrorCode.NO_SPACE, object, operation, "The filesystem holding " + directory
                        + " cannot hold a file of " + capacity + " bytes (" + e.errnoName() + " from ftruncate): volume '"
                        + name + "' needs a smaller capacity.", e);
            }
            throw FileErrors.nativeCall(object, operation, "set the size of " + directory.resolve(name), e);
        }
        if (allocation > 0) {
            files.allocate(file, name, 0, allocation, object, operation);
        }
    }


    /** qemu-img options for a new image; checked before anything is created. */
    private static QemuImg.CreateOptions imageOptions(VolumeDefinition volume, VolumeFormat format, long allocation,
                                                      String object, String operation) {
        try {
            QemuImg.CreateOptions options = QemuImg.CreateOptions.defaults();
            if (allocation > 0 && format.equals(VolumeFormat.QCOW2)) {
                options = options.withPreallocation(allocation >= volume.capacity() ? "falloc" : "metadata");
            }
            if (format.equals(VolumeFormat.QCOW2) && volume.target().compat().isPresent()) {
                options = options.withCompat(volume.target().compat().get());
            }
            if (volume.target().clusterSize().isPresent()) {
                options = options.withClusterSize(volume.target().clusterSize().getAsLong());
            }
            return options;
        } catch (IllegalArgumentException e) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "Cannot create volume '" + volume.name() + "': " + e.getMessage() + ".", e);
        }
    }

    private void createImage(VolumeDefinition volume, Path file, VolumeFormat format, QemuImg.CreateOptions options,
                             Optional<String> backingFormat, String object, String operation) {
        try {
            // The file exists already (made with O_EXCL): qemu-img fills it in place.
            qemuImg.create(file, format.name(), volume.capacity(),
                    volume.backingStore().map(BackingStore::path), backingFormat, options);
        } catch (CommandException e) {
            throw FileErrors.command(object, operation, "create the " + format + " image " + directory.resolve(volume.name()), e);
        } catch (IllegalArgumentException e) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "Cannot create volume '" + volume.name() + "': " + e.getMessage() + ".", e);
        }
    }

    // ---- delete, resize -----------------------------------------------------------------

    /** Removes the volume's directory entry ({@code unlinkat}: a symlink is removed, never followed). */
    public void delete(VolumeDefinition volume) {
        String operation = "vol-delete";
        String object = volumeObject(volume.name());
        try (Fd dir = files.openDirectory(object, operation)) {
            boolean isDirectory = volume.type().orElse(VolumeType.FILE) == VolumeType.DIR;
            try {
                libc.unlinkAt(dir, volume.name(), isDirectory ? Libc.AT_REMOVEDIR : 0);
            } catch (NativeCallException e) {
                if (e.errno() == Libc.EISDIR && !isDirectory) {
                    libc.unlinkAt(dir, volume.name(), Libc.AT_REMOVEDIR);
                } else {
                    throw e;
                }
            }
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOENT) {
                throw new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                        "Volume '" + volume.name() + "' is no longer in pool '" + pool.name() + "' (" + directory + ").", e);
            }
            if (e.errno() == Libc.ENOTEMPTY || e.errno() == Libc.EEXIST) {
                throw new StorageException(ErrorCode.DEVICE_BUSY, object, operation, "Volume '" + volume.name()
                        + "' is a directory that is not empty; empty it first.", e);
            }
            throw FileErrors.nativeCall(object, operation, "delete " + directory.resolve(volume.name()), e);
        }
    }

    /**
     * Changes the capacity. Raw: {@code ftruncate}, plus {@code fallocate} of the new part when
     * {@code allocate}. qemu formats: {@code qemu-img resize}, refusing to shrink a qcow2 below
     * the data it holds.
     */
    public VolumeDefinition resize(VolumeDefinition volume, long capacity, boolean allowShrink, boolean allocate) {
        String operation = "vol-resize";
        String object = volumeObject(volume.name());
        if (capacity <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The new capacity of volume '" + volume.name() + "' must be positive, not " + capacity + " bytes.");
        }
        VolumeFormat format = volume.format().orElse(VolumeFormat.RAW);
        try (Fd dir = files.openDirectory(object, operation); Fd file = files.openVolume(dir, volume, Libc.O_RDWR, object, operation)) {
            Stat stat = files.requireRegular(file, volume, object, operation);
            if (format.equals(VolumeFormat.RAW)) {
                resizeRaw(file, volume.name(), stat.size(), capacity, allowShrink, allocate, object, operation);
            } else if (QEMU_FORMATS.contains(format.name())) {
                if (allocate) {
                    throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                            "Allocating on resize works for raw volumes only; volume '" + volume.name() + "' is " + format + ".");
                }
                resizeImage(volume, format, capacity, allowShrink, object, operation);
            } else {
                throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                        "Volumes in format '" + format + "' cannot be resized ('" + volume.name() + "').");
            }
        }
        return scan.describeCreated(volume.name(), object, operation);
    }

    private void resizeRaw(Fd file, String name, long current, long capacity, boolean allowShrink, boolean allocate,
                           String object, String operation) {
        if (capacity < current && !allowShrink) {
            throw shrinkRefused(name, current, capacity, object, operation);
        }
        try {
            libc.ftruncate(file, capacity);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EFBIG || e.errno() == Libc.EINVAL) {
                throw new StorageException(ErrorCode.NO_SPACE, object, operation, "The filesystem holding " + directory
                        + " cannot hold a file of " + capacity + " bytes (" + e.errnoName() + " from ftruncate).", e);
            }
            throw FileErrors.nativeCall(object, operation, "resize " + directory.resolve(name), e);
        }
        if (allocate && capacity > current) {
            try {
                files.allocate(file, name, current, capacity - current, object, operation);
            } catch (RuntimeException e) {
                try {
                    libc.ftruncate(file, current); // back to where it was: a failed resize changes nothing
                } catch (NativeCallException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
        }
    }

    private void resizeImage(VolumeDefinition volume, VolumeFormat format, long capacity, boolean allowShrink,
                             String object, String operation) {
        long current = volume.capacity();
        Path path = directory.resolve(volume.name());
        if (capacity < current) {
            if (!allowShrink) {
                throw shrinkRefused(volume.name(), current, capacity, object, operation);
            }
            // qemu-img resize --shrink drops whatever lies past the new end; we do not.
            OptionalLong dataEnd = QemuMap.dataEnd(runner, path, format.name(), object, operation);
            if (dataEnd.isPresent() && dataEnd.getAsLong() > capacity) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "Cannot shrink " + format
                        + " volume '" + volume.name() + "' to " + capacity + " bytes: it holds data up to byte "
                        + dataEnd.getAsLong() + ".");
            }
        }
        try {
            qemuImg.resize(path, format.name(), capacity, capacity < current);
        } catch (CommandException e) {
            throw FileErrors.command(object, operation, "resize the " + format + " image " + path + " to " + capacity + " bytes", e);
        }
    }

    private static StorageException shrinkRefused(String name, long current, long capacity, String object, String operation) {
        return new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "Resizing volume '" + name + "' from "
                + current + " to " + capacity + " bytes would shrink it; allow shrinking to lose the data past "
                + capacity + " bytes.");
    }

    // ---- wipe, copy, snapshot, streams ----------------------------------------------------

    /** See {@link Wipe}. */
    public void wipe(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        String operation = "vol-wipe";
        String object = volumeObject(volume.name());
        try (Fd dir = files.openDirectory(object, operation); Fd file = files.openVolume(dir, volume, Libc.O_RDWR, object, operation)) {
            Stat stat = files.requireRegular(file, volume, object, operation);
            new Wipe(files, scan, libc, qemuImg, object, operation).wipe(dir, file, stat, volume, algorithm, progress);
        }
    }

    /** See {@link DataCopy}. */
    public VolumeDefinition createFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        String operation = "vol-create-from";
        String object = volumeObject(volume.name());
        new DataCopy(files, libc, qemuImg, object, operation).copy(volume, source, progress);
        return scan.describeCreated(volume.name(), object, operation);
    }

    /**
     * A point-in-time copy: a reflink clone where the filesystem shares extents, else a qcow2
     * overlay whose backing file is the volume (from then on the volume itself must stay
     * unchanged: write to the overlay).
     */
    public VolumeDefinition snapshot(VolumeDefinition volume, String snapshotName) {
        String operation = "vol-snapshot";
        String object = volumeObject(snapshotName);
        new DataCopy(files, libc, qemuImg, object, operation).snapshot(volume, snapshotName);
        return scan.describeCreated(snapshotName, object, operation);
    }

    /** Reads the file's bytes in {@code [offset, offset + length)} ({@code length < 0}: to the end), holes without I/O. */
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        String operation = "vol-download";
        String object = volumeObject(volume.name());
        try (Fd dir = files.openDirectory(object, operation)) {
            Fd file = files.openVolume(dir, volume, Libc.O_RDONLY, object, operation);
            try {
                Stat stat = files.requireRegular(file, volume, object, operation);
                long end = length < 0 ? stat.size() : Math.min(stat.size(), offset + length);
                return FileRangeChannel.reading(file, directory.resolve(volume.name()), offset, Math.max(0, end - offset),
                        new IoContext(object, operation));
            } catch (RuntimeException | Error e) {
                file.close();
                throw e;
            }
        }
    }

    /**
     * Writes at {@code offset}, at most {@code length} bytes ({@code < 0}: up to the capacity of a
     * raw volume; unbounded for image files, whose bytes are the image itself). Whole zero
     * blocks become holes.
     */
    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        String operation = "vol-upload";
        String object = volumeObject(volume.name());
        boolean raw = volume.format().orElse(VolumeFormat.RAW).equals(VolumeFormat.RAW);
        try (Fd dir = files.openDirectory(object, operation)) {
            Fd file = files.openVolume(dir, volume, Libc.O_WRONLY, object, operation);
            try {
                Stat stat = files.requireRegular(file, volume, object, operation);
                long limit = raw ? stat.size() : Long.MAX_VALUE;
                if (offset > limit) {
                    throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "Offset " + offset
                            + " is past the end of volume '" + volume.name() + "' (" + stat.size() + " bytes).");
                }
                long end = length < 0 ? limit : Math.min(limit, offset + length);
                return FileRangeChannel.writing(file, directory.resolve(volume.name()), offset, end - offset,
                        FileRangeChannel.Zeroing.PUNCH, new IoContext(object, operation));
            } catch (RuntimeException | Error e) {
                file.close();
                throw e;
            }
        }
    }

    private String volumeObject(String name) {
        return files.volumeObject(name);
    }
}
