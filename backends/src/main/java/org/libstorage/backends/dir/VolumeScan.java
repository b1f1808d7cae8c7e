package org.libstorage.backends.dir;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.libstorage.ErrorCode;
import org.libstorage.Names;
import org.libstorage.Permissions;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolState;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeDefinition.BackingStore;
import org.libstorage.VolumeDefinition.Timestamps;
import org.libstorage.VolumeDefinition.VolumeTarget;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;
import org.libstorage.nativelib.Statvfs;
import org.libstorage.spi.Job;
import org.libstorage.spi.Jobs;
import org.libstorage.spi.PoolContents;

/**
 * What a file pool holds: the filesystem's space and every entry of the directory that is a
 * volume, each described from one {@code statx} and, for image files, its header. Temporaries
 * of new volumes are never listed; those whose job is not running are removed.
 */
final class VolumeScan {
    private static final System.Logger LOG = System.getLogger(VolumeScan.class.getName());

    private final PoolDirectory files;
    private final PoolDefinition pool;
    private final Path directory;
    private final Libc libc;
    private final Jobs jobs;

    VolumeScan(PoolDirectory files, PoolDefinition pool, Libc libc, Jobs jobs) {
        this.files = files;
        this.pool = pool;
        this.directory = files.directory();
        this.libc = libc;
        this.jobs = jobs;
    }

    /** The space of the filesystem holding the directory and every volume in it, sorted by name. */
    public PoolContents refresh() {
        String operation = "pool-refresh";
        PoolInfo info = space(operation);
        Path real = files.realDirectory(operation);
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
            throw FileErrors.io(files.poolObject(), operation, "list the directory " + real, e);
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
                throw files.gone(files.poolObject(), operation, e);
            }
            throw FileErrors.nativeCall(files.poolObject(), operation, "read the free space of " + directory, e);
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
        return describe(files.realDirectory("vol-info"), name, new Scratch());
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
                new BackingStore(backing, header.backingFormat().flatMap(VolumeScan::formatName), Optional.empty())));
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

    VolumeDefinition describeCreated(String name, String object, String operation) {
        return describe(files.realDirectory(operation), name, new Scratch())
                .orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                        "Volume '" + name + "' vanished from " + directory + " right after " + operation + "."));
    }
}
