package org.libstorage.backends.dir;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.libstorage.ErrorCode;
import org.libstorage.Names;
import org.libstorage.Permissions;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolState;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeDefinition.BackingStore;
import org.libstorage.VolumeDefinition.Timestamps;
import org.libstorage.VolumeDefinition.VolumeTarget;
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
import org.libstorage.nativelib.Statvfs;
import org.libstorage.spi.Job;
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
 */
public final class FileVolumes {
    private static final System.Logger LOG = System.getLogger(FileVolumes.class.getName());

    /** libvirt's defaults for a new volume file and a new pool directory. */
    static final int DEFAULT_VOLUME_MODE = 0600;
    static final int DEFAULT_POOL_MODE = 0711;
    /** Formats qemu-img creates for us; raw is made natively. */
    static final Set<String> QEMU_FORMATS = Set.of("qcow2", "qed", "vmdk", "vdi", "vpc", "vhdx", "qcow");

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final PoolDefinition pool;
    private final Path directory;
    private final CommandRunner runner;
    private final QemuImg qemuImg;
    private final Libc libc;
    private final Jobs jobs;

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
        this.jobs = Objects.requireNonNull(jobs, "jobs");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
        this.runner = Objects.requireNonNull(runner, "runner");
        this.qemuImg = new QemuImg(runner);
        this.libc = Libc.instance();
    }

    public Path directory() {
        return directory;
    }

    // ---- scanning -----------------------------------------------------------------------

    /** The space of the filesystem holding the directory and every volume in it, sorted by name. */
    public PoolContents refresh() {
        String operation = "pool-refresh";
        PoolInfo info = space(operation);
        Path real = realDirectory(operation);
        List<VolumeDefinition> volumes = new ArrayList<>();
        Scratch scratch = new Scratch();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(real)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (Job.isTemporary(name)) {
                    removeIfAbandoned(real, name);
                    continue;
                }
                describe(real, name, scratch).ifPresent(volumes::add);
            }
        } catch (IOException e) {
            throw FileErrors.io(poolObject(), operation, "list the directory " + real, e);
        }
        volumes.sort(Comparator.comparing(VolumeDefinition::name));
        return new PoolContents(info, volumes);
    }

    /** The pool's capacity, allocation and available bytes, from {@code statvfs}. */
    public PoolInfo space(String operation) {
        try {
            Statvfs fs = libc.statvfs(directory);
            return new PoolInfo(PoolState.RUNNING, fs.totalBytes(), fs.totalBytes() - fs.freeBytes(), fs.availableBytes());
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.ENOTDIR) {
                throw gone(poolObject(), operation, e);
            }
            throw FileErrors.nativeCall(poolObject(), operation, "read the free space of " + directory, e);
        }
    }

    /**
     * Removes a new volume's temporary whose job is not running any more (its process was killed,
     * or the machine restarted). A refresh runs under the pool's lock, and jobs record their claim
     * under it before making a temporary, so a running job's temporary is never taken for dead.
     */
    private void removeIfAbandoned(Path real, String name) {
        if (Job.idOfTemporary(name).filter(jobs::isRunning).isPresent()) {
            return;
        }
        LOG.log(Level.INFO, "removing {0} in pool ''{1}'': left by a job that did not finish", real.resolve(name),
                pool.name());
        try {
            Files.deleteIfExists(real.resolve(name));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove the abandoned temporary " + real.resolve(name), e);
        }
    }

    /** The volume named {@code name} as a refresh would report it, or empty when there is none. */
    public Optional<VolumeDefinition> describe(String name) {
        if (Job.isTemporary(name)) {
            return Optional.empty();
        }
        return describe(realDirectory("vol-info"), name, new Scratch());
    }

    /**
     * One entry: a single {@code statx} that does not follow symlinks, then the header of a
     * regular file big enough to hold one and with data on disk. Symlinks, devices, sockets and FIFOs are not volumes;
     * an entry that vanished meanwhile is simply absent.
     */
    private Optional<VolumeDefinition> describe(Path real, String name, Scratch scratch) {
        try {
            Names.requireValid("volume name", name);
        } catch (StorageException e) {
            // Made outside the library ("-x", a newline in it): not addressable as a volume, and no
            // reason to fail the refresh of its neighbours.
            LOG.log(Level.INFO, "not listing " + real.resolve(name) + " in pool '" + pool.name() + "': " + e.getMessage());
            return Optional.empty();
        }
        Path path = real.resolve(name);
        Stat stat;
        try {
            stat = libc.statx(path, false);
        } catch (NativeCallException e) {
            if (e.errno() != Libc.ENOENT && e.errno() != Libc.ENOTDIR) {
                LOG.log(Level.WARNING, "skipping " + path + " in pool '" + pool.name() + "': " + e.getMessage());
            }
            return Optional.empty();
        }
        if (stat.isDirectory()) {
            return Optional.of(definition(name, path, VolumeType.DIR, stat, ImageHeader.of(VolumeFormat.DIR)));
        }
        if (!stat.isRegularFile()) {
            LOG.log(Level.DEBUG, () -> "not a volume (neither a file nor a directory): " + path);
            return Optional.empty();
        }
        ImageHeader header = ImageHeader.RAW;
        // A file without a single allocated block reads as zeros: no header to look for (the
        // common fresh sparse volume, left unopened).
        if (stat.size() >= ImageHeader.MIN_IMAGE_BYTES && stat.allocatedBytes() > 0) {
            Optional<ImageHeader> read = readHeader(path, stat.size(), scratch);
            if (read.isEmpty()) {
                return Optional.empty();
            }
            header = read.get();
        }
        return Optional.of(definition(name, path, VolumeType.FILE, stat, header));
    }

    /** Empty when the file vanished or was replaced by a symlink between the listing and now. */
    private Optional<ImageHeader> readHeader(Path path, long size, Scratch scratch) {
        try (Fd fd = libc.open(path, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK, 0)) {
            ByteBuffer head = scratch.head.clear().limit((int) Math.min(size, scratch.head.capacity()));
            while (head.hasRemaining()) {
                if (libc.pread(fd, head, head.position()) == 0) {
                    break;
                }
            }
            head.flip();
            return Optional.of(ImageHeader.probe(head, size, (offset, length) -> {
                ByteBuffer more = length <= scratch.more.capacity() ? scratch.more.clear().limit(length)
                        : ByteBuffer.allocateDirect(length);
                libc.pread(fd, more, offset);
                return more.flip();
            }));
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.ELOOP) {
                return Optional.empty();
            }
            // Unreadable (permissions): still a volume, of a format we cannot tell.
            LOG.log(Level.DEBUG, () -> "cannot read the header of " + path + ": " + e.getMessage());
            return Optional.of(ImageHeader.RAW);
        }
    }

    /** Buffers reused across the files of one refresh: the first bytes, and a few more further on. */
    private static final class Scratch {
        final ByteBuffer head = ByteBuffer.allocateDirect(ImageHeader.PROBE_BYTES);
        final ByteBuffer more = ByteBuffer.allocateDirect(1024);
    }

    private VolumeDefinition definition(String name, Path path, VolumeType type, Stat stat, ImageHeader header) {
        Permissions permissions = new Permissions(OptionalInt.of(stat.permissions()),
                OptionalLong.of(Integer.toUnsignedLong(stat.uid())), OptionalLong.of(Integer.toUnsignedLong(stat.gid())),
                Optional.empty());
        Timestamps times = new Timestamps(Optional.of(stat.atime()), Optional.of(stat.mtime()),
                Optional.of(stat.ctime()), stat.btime());
        VolumeTarget target = new VolumeTarget(Optional.of(path), Optional.of(header.format()),
                Optional.of(permissions), Optional.of(times), header.compat(), false, List.of(), Optional.empty(),
                header.clusterSize());
        VolumeDefinition.Builder builder = VolumeDefinition.builder(name, header.virtualSize().orElse(stat.size()))
                .type(type)
                .key(path.toString())
                .allocation(stat.allocatedBytes())
                .physical(stat.size())
                .target(target);
        header.backingFile().flatMap(backing -> backingPath(path, backing)).ifPresent(backing -> builder.backingStore(
                new BackingStore(backing, header.backingFormat().flatMap(FileVolumes::formatName), Optional.empty())));
        return builder.build();
    }

    /** qemu resolves a relative backing name against the image's directory; protocols stay as written. */
    private static Optional<Path> backingPath(Path image, String backing) {
        Path named;
        try {
            named = Path.of(backing);
        } catch (InvalidPathException e) {
            // Header bytes anyone who wrote the file chose; a name the JVM cannot represent is not reported.
            LOG.log(Level.DEBUG, () -> "unrepresentable backing file name in " + image + ": " + e.getMessage());
            return Optional.empty();
        }
        if (named.isAbsolute() || backing.matches("^[a-z][a-z0-9+.-]*:.*")) {
            return Optional.of(named);
        }
        return Optional.of(image.resolveSibling(named).normalize());
    }

    private static Optional<VolumeFormat> formatName(String name) {
        return name.isBlank() ? Optional.empty() : Optional.of(new VolumeFormat(name));
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
        Optional<String> backingFormat = volume.backingStore().map(b -> backingFormat(b, object, operation));
        long allocation = Math.min(volume.allocation().orElse(0), volume.capacity());
        QemuImg.CreateOptions options = raw ? QemuImg.CreateOptions.defaults()
                : imageOptions(volume, format, allocation, object, operation);
        int mode = volume.target().permissions().flatMap(p -> p.mode().isPresent()
                ? Optional.of(p.mode().getAsInt()) : Optional.empty()).orElse(DEFAULT_VOLUME_MODE);

        try (Fd dir = openDirectory(object, operation);
             NewFile file = newFile(dir, volume.name(), mode, object, operation)) {
            applyPermissions(file.fd(), volume.target().permissions(), mode, object, operation);
            if (raw) {
                sizeRawFile(file.fd(), volume.name(), volume.capacity(), allocation, object, operation);
            } else {
                createImage(volume, file.path(), format, options, backingFormat, object, operation);
            }
            file.commit();
        }
        return describeCreated(volume.name(), object, operation);
    }

    String backingFormat(BackingStore backing, String object, String operation) {
        if (backing.format().isPresent()) {
            return backing.format().get().name();
        }
        // qemu-img wants the backing format spelled out; tell it from the header, which we only
        // trust to the point of naming a format for an image the caller chose as backing.
        Path path = backing.path().isAbsolute() ? backing.path() : directory.resolve(backing.path());
        try {
            Stat stat = libc.statx(path, true);
            if (!stat.isRegularFile() && !stat.isBlockDevice()) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                        "The backing store " + path + " is neither a file nor a block device.");
            }
            if (stat.isBlockDevice() || stat.size() < ImageHeader.MIN_IMAGE_BYTES) {
                return "raw";
            }
            return readHeader(path, stat.size(), new Scratch())
                    .orElse(ImageHeader.RAW).format().name();
        } catch (NativeCallException e) {
            throw new StorageException(e.errno() == Libc.ENOENT ? ErrorCode.INVALID_ARGUMENT : FileErrors.code(e), object,
                    operation, "The backing store " + path + " cannot be used: " + e.libraryMessage().orElse(e.errnoName())
                    + " (" + e.errnoName() + ").", e);
        }
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
            allocate(file, name, 0, allocation, object, operation);
        }
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
        try (Fd dir = openDirectory(object, operation)) {
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
        try (Fd dir = openDirectory(object, operation); Fd file = openVolume(dir, volume, Libc.O_RDWR, object, operation)) {
            Stat stat = requireRegular(file, volume, object, operation);
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
        return describeCreated(volume.name(), object, operation);
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
                allocate(file, name, current, capacity - current, object, operation);
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
        try (Fd dir = openDirectory(object, operation); Fd file = openVolume(dir, volume, Libc.O_RDWR, object, operation)) {
            Stat stat = requireRegular(file, volume, object, operation);
            new Wipe(this, libc, qemuImg, object, operation).wipe(dir, file, stat, volume, algorithm, progress);
        }
    }

    /** See {@link DataCopy}. */
    public VolumeDefinition createFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        String operation = "vol-create-from";
        String object = volumeObject(volume.name());
        new DataCopy(this, libc, qemuImg, object, operation).copy(volume, source, progress);
        return describeCreated(volume.name(), object, operation);
    }

    /**
     * A point-in-time copy: a reflink clone where the filesystem shares extents, else a qcow2
     * overlay whose backing file is the volume (from then on the volume itself must stay
     * unchanged: write to the overlay).
     */
    public VolumeDefinition snapshot(VolumeDefinition volume, String snapshotName) {
        String operation = "vol-snapshot";
        String object = volumeObject(snapshotName);
        new DataCopy(this, libc, qemuImg, object, operation).snapshot(volume, snapshotName);
        return describeCreated(snapshotName, object, operation);
    }

    /** Reads the file's bytes in {@code [offset, offset + length)} ({@code length < 0}: to the end), holes without I/O. */
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        String operation = "vol-download";
        String object = volumeObject(volume.name());
        try (Fd dir = openDirectory(object, operation)) {
            Fd file = openVolume(dir, volume, Libc.O_RDONLY, object, operation);
            try {
                Stat stat = requireRegular(file, volume, object, operation);
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
        try (Fd dir = openDirectory(object, operation)) {
            Fd file = openVolume(dir, volume, Libc.O_WRONLY, object, operation);
            try {
                Stat stat = requireRegular(file, volume, object, operation);
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

    // ---- shared with DataCopy and Wipe ----------------------------------------------------

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
            if (!link && (e.errno() == Libc.ENOENT || e.errno() == Libc.ENOTDIR)) {
                throw gone(object, operation, e);
            }
            if (link) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "The directory " + directory
                        + " of pool '" + pool.name() + "' is now a symbolic link; it is not followed, since that would"
                        + " move the pool elsewhere. Put the directory back, or stop the pool and define it with the"
                        + " real directory.", e);
            }
            throw FileErrors.nativeCall(object, operation, "open the pool directory " + directory, e);
        }
    }

    private StorageException gone(String object, String operation, NativeCallException e) {
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
                            + "' got an entry named '" + name + "' from elsewhere while the volume was being made.", e);
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
            if (permissions.isPresent() && (permissions.get().owner().isPresent() || permissions.get().group().isPresent())) {
                libc.fchown(file, (int) permissions.get().owner().orElse(-1), (int) permissions.get().group().orElse(-1));
            }
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

    VolumeDefinition describeCreated(String name, String object, String operation) {
        return describe(realDirectory(operation), name, new Scratch())
                .orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                        "Volume '" + name + "' vanished from " + directory + " right after " + operation + "."));
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
