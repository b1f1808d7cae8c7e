package org.libstorage.backends.dir;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.libstorage.ErrorCode;
import org.libstorage.Names;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.backends.blockio.CopyEngine;
import org.libstorage.backends.blockio.DataSource;
import org.libstorage.backends.blockio.FileRangeChannel;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.backends.blockio.Streams;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.QemuImg;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;
import org.libstorage.spi.VolumeSource;

/**
 * Copies a volume into a new file of the pool. Bytes move through the shared copy engine
 * ({@link CopyEngine}), which takes the fastest safe path: a reflink, {@code copy_file_range}
 * over the data extents, or buffered copying that leaves zero blocks and the source's holes as
 * holes (for sources that are not files, an LV or a LUN read through
 * {@link VolumeSource#open()}, or filesystems without {@code copy_file_range} between them).
 * {@code qemu-img convert} runs instead when the formats differ (raw ↔ qcow2) or a qcow2 source
 * has a backing file (the copy is flattened into a standalone image, as libvirt's clone does).
 * Progress is reported in source bytes (during a conversion, from the thread reading qemu-img's
 * output); an interrupt between chunks stops with {@code CANCELLED} (the thread's interrupt
 * status stays set); any failure removes the partial copy.
 */
final class DataCopy {
    private static final System.Logger LOG = System.getLogger(DataCopy.class.getName());
    /** Pools whose volume paths are plain files that reflink and copy_file_range can work on. */
    private static final Set<PoolType> FILE_POOLS = Set.of(PoolType.DIR, PoolType.FS, PoolType.NETFS);

    private final PoolDirectory files;
    private final Libc libc;
    private final QemuImg qemuImg;
    private final String object;
    private final String operation;

    DataCopy(PoolDirectory files, Libc libc, QemuImg qemuImg, String object, String operation) {
        this.files = files;
        this.libc = libc;
        this.qemuImg = qemuImg;
        this.object = object;
        this.operation = operation;
    }

    void copy(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        VolumeDefinition from = source.definition();
        boolean fileSource = FILE_POOLS.contains(source.poolType()) && from.path().isPresent();
        // Other pools hand out the guest's bytes: raw, whatever their format attribute names (a filesystem, a partition type).
        VolumeFormat sourceFormat = fileSource ? from.format().orElse(VolumeFormat.RAW) : VolumeFormat.RAW;
        VolumeFormat targetFormat = volume.format().orElse(sourceFormat);
        long capacity = volume.capacity() == 0 ? from.capacity() : volume.capacity();
        checkCopy(volume, from, sourceFormat, targetFormat, capacity);
        int mode = volume.target().permissions().flatMap(p -> p.mode().isPresent()
                ? Optional.of(p.mode().getAsInt()) : Optional.empty()).orElse(FileVolumes.DEFAULT_VOLUME_MODE);
        boolean byteCopy = sameBytes(sourceFormat, targetFormat) && from.backingStore().isEmpty();
        // Filled under a hidden temporary name, renamed into place only when complete: a crash
        // leaves no half-copy listed (and the next refresh removes the temporary).
        try (Fd dir = files.openDirectory(object, operation);
             PoolDirectory.NewFile file = files.newFile(dir, volume.name(), mode, object, operation)) {
            Fd dest = file.fd();
            Path target = file.path();
            files.applyOwner(dest, volume.target().permissions(), object, operation); // newFile set the mode
            if (byteCopy) {
                try (DataSource in = fileSource ? openFileSource(from, source) : streamSource(source)) {
                    // Borrowed: grow() still needs dest after the channel is done.
                    try (FileRangeChannel out = FileRangeChannel.borrowing(dest, target, 0, in.size(),
                            FileRangeChannel.Zeroing.ALREADY_ZERO, context())) {
                        CopyEngine.copy(in, out, progress, context());
                    }
                }
                grow(dest, target, targetFormat, from.capacity(), capacity);
            } else {
                convert(from, sourceFormat, target, targetFormat, progress);
                grow(dest, target, targetFormat, from.capacity(), capacity);
            }
            file.commit();
        }
    }

    private void checkCopy(VolumeDefinition volume, VolumeDefinition from, VolumeFormat sourceFormat,
                           VolumeFormat targetFormat, long capacity) {
        if (from.type().orElse(VolumeType.FILE) == VolumeType.DIR || sourceFormat.equals(VolumeFormat.DIR)) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                    "Volume '" + from.name() + "' is a directory; only file and block volumes can be copied.");
        }
        if (!copyable(sourceFormat)) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                    "Cannot copy volume '" + from.name() + "' of format '" + sourceFormat + "'.");
        }
        if (!targetFormat.equals(VolumeFormat.RAW) && !FileVolumes.QEMU_FORMATS.contains(targetFormat.name())
                && !sameBytes(sourceFormat, targetFormat)) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                    "Cannot make a copy in format '" + targetFormat + "'; use raw or one of " + FileVolumes.QEMU_FORMATS + ".");
        }
        if (volume.target().encryption().isPresent()) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                    "Encrypted copies cannot be made here ('" + volume.name() + "'); copy without <encryption>.");
        }
        if (volume.backingStore().isPresent()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "A copy cannot be given a backing store ('" + volume.name() + "'); create an overlay instead.");
        }
        if (capacity < from.capacity()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "The copy '" + volume.name()
                    + "' would be smaller (" + capacity + " bytes) than volume '" + from.name() + "' ("
                    + from.capacity() + " bytes); give at least the source's capacity.");
        }
    }

    private static boolean copyable(VolumeFormat format) {
        return format.equals(VolumeFormat.RAW) || format.equals(VolumeFormat.ISO)
                || FileVolumes.QEMU_FORMATS.contains(format.name());
    }

    /** Whether copying the bytes makes a volume of the target format: same format, or raw and iso (which is raw). */
    private static boolean sameBytes(VolumeFormat source, VolumeFormat target) {
        return source.equals(target) || (isRawLike(source) && isRawLike(target));
    }

    private static boolean isRawLike(VolumeFormat format) {
        return format.equals(VolumeFormat.RAW) || format.equals(VolumeFormat.ISO);
    }

    private IoContext context() {
        return new IoContext(object, operation);
    }

    /** A source that lives in a file pool, by its path (not followed if it became a symlink). */
    private DataSource openFileSource(VolumeDefinition from, VolumeSource source) {
        Path path = from.path().orElseThrow();
        Fd src;
        try {
            src = libc.open(path, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK, 0);
        } catch (NativeCallException e) {
            throw sourceProblem(from, path, e);
        }
        boolean regular;
        try {
            regular = libc.statx(src).isRegularFile();
        } catch (NativeCallException e) {
            src.close();
            throw FileErrors.nativeCall(object, operation, "look at the source volume " + path, e);
        }
        if (!regular) {
            src.close();
            return streamSource(source);
        }
        return FileRangeChannel.reading(src, path, 0, -1, context());
    }

    /** The source's guest bytes through its pool's channel. */
    private DataSource streamSource(VolumeSource source) {
        return Streams.source(source.open(), source.definition().capacity(),
                "the source volume '" + source.definition().name() + "'", context());
    }

    private StorageException sourceProblem(VolumeDefinition from, Path path, NativeCallException e) {
        if (e.errno() == Libc.ENOENT) {
            return new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                    "The source volume '" + from.name() + "' is gone (" + path + ").", e);
        }
        if (e.errno() == Libc.ELOOP) {
            return new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The source volume " + path + " is now a symbolic link; it is not followed.", e);
        }
        return FileErrors.nativeCall(object, operation, "open the source volume " + path, e);
    }

    /** True when the destination now shares the source's extents. */
    private boolean reflink(Fd src, Fd dest) {
        try {
            libc.ficlone(dest, src);
            return true;
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOSPC || e.errno() == Libc.EDQUOT) {
                throw writeFailure(e);
            }
            // EOPNOTSUPP, EXDEV, EINVAL, ENOTTY...: no reflinks between these two.
            LOG.log(Level.DEBUG, () -> "no reflink (" + e.errnoName() + ")");
            return false;
        }
    }

    private void setSize(Fd dest, long size) {
        try {
            libc.ftruncate(dest, size);
        } catch (NativeCallException e) {
            throw writeFailure(e);
        }
    }

    /** Makes the copy as big as asked: raw by ftruncate, images by qemu-img resize. */
    private void grow(Fd dest, Path target, VolumeFormat targetFormat, long sourceCapacity, long capacity) {
        if (isRawLike(targetFormat)) {
            long size = libc.statx(dest).size();
            if (capacity > size) {
                setSize(dest, capacity);
            }
        } else if (capacity > sourceCapacity) {
            try {
                qemuImg.resize(target, targetFormat.name(), capacity, false);
            } catch (CommandException e) {
                throw FileErrors.command(object, operation, "grow the copy " + target + " to " + capacity + " bytes", e);
            }
        }
    }

    private void convert(VolumeDefinition from, VolumeFormat sourceFormat, Path target, VolumeFormat targetFormat,
                         ProgressListener progress) {
        Path sourcePath = from.path().orElseThrow(() -> new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object,
                operation, "Converting volume '" + from.name() + "' to " + targetFormat + " needs a path qemu-img can read."));
        String readAs = isRawLike(sourceFormat) ? "raw" : sourceFormat.name();
        long total = from.capacity();
        progress.progress(0, total);
        checkInterrupt("convert");
        try {
            qemuImg.convert(sourcePath, readAs, target, targetFormat.name(),
                    percent -> progress.progress(Math.round(percent / 100.0 * total), total));
        } catch (CommandException e) {
            throw FileErrors.command(object, operation, "convert " + sourcePath + " (" + readAs + ") to " + targetFormat, e);
        } catch (IllegalArgumentException e) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "Cannot convert: " + e.getMessage() + ".", e);
        }
        checkInterrupt("convert"); // an interrupt that came as qemu-img finished still cancels
        progress.progress(total, total);
    }

    private StorageException writeFailure(NativeCallException e) {
        if (e.errno() == Libc.ENOSPC || e.errno() == Libc.EDQUOT) {
            return files.noSpace(object, operation, "copy the data", e);
        }
        return FileErrors.nativeCall(object, operation, "copy into " + files.directory(), e);
    }

    /** Stops with CANCELLED when the thread was interrupted; the interrupt status stays set for the caller. */
    void checkInterrupt(String what) {
        if (Thread.currentThread().isInterrupted()) {
            throw FileErrors.cancelled(object, operation, what + " into " + files.directory(), null);
        }
    }

    // ---- snapshot -----------------------------------------------------------------------

    void snapshot(VolumeDefinition volume, String snapshotName) {
        Names.requireValid("snapshot name", snapshotName); // the core checks too; a bad one must never reach openat
        VolumeFormat format = volume.format().orElse(VolumeFormat.RAW);
        if (volume.type().orElse(VolumeType.FILE) == VolumeType.DIR) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation,
                    "Volume '" + volume.name() + "' is a directory; only files can be snapshotted.");
        }
        try (Fd dir = files.openDirectory(object, operation);
             Fd src = files.openVolume(dir, volume, Libc.O_RDONLY, object, operation)) {
            Stat stat = files.requireRegular(src, volume, object, operation);
            Fd dest = files.createFile(dir, snapshotName, stat.permissions(), object, operation);
            try (dest) {
                files.applyPermissions(dest, Optional.empty(), stat.permissions(), object, operation);
                if (!reflink(src, dest)) {
                    overlay(volume, format, snapshotName);
                }
            } catch (RuntimeException | Error e) {
                files.removeAfterFailure(dir, snapshotName, e);
                throw e;
            }
        }
    }

    private void overlay(VolumeDefinition volume, VolumeFormat format, String snapshotName) {
        String backingFormat = isRawLike(format) ? "raw" : format.name();
        if (!isRawLike(format) && !FileVolumes.QEMU_FORMATS.contains(format.name())) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation, "This filesystem has no reflinks,"
                    + " and a qcow2 overlay cannot sit on volume '" + volume.name() + "' of format '" + format + "'.");
        }
        Path backing = files.realDirectory(operation).resolve(volume.name());
        Path target = files.directory().resolve(snapshotName);
        try {
            qemuImg.create(target, "qcow2", 0, Optional.of(backing), Optional.of(backingFormat), QemuImg.CreateOptions.defaults());
        } catch (CommandException e) {
            throw FileErrors.command(object, operation, "create the qcow2 overlay " + target + " over " + backing, e);
        }
    }
}
