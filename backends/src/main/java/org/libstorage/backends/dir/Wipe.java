package org.libstorage.backends.dir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.libstorage.ErrorCode;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;
import org.libstorage.fallback.CommandException;
import org.libstorage.fallback.QemuImg;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;

/**
 * Destroys a file volume's data without writing gigabytes of zeros:
 * <ul>
 * <li>{@code ZERO}: a sparse file has its ranges punched out ({@code FALLOC_FL_PUNCH_HOLE}); a fully
 * allocated one is zeroed in place ({@code FALLOC_FL_ZERO_RANGE}) so it stays allocated. Where the
 * filesystem can do neither, zeros are written over the data extents only (holes already read as
 * zeros).</li>
 * <li>{@code TRIM}: every range is punched out; the filesystem frees (and may discard) the blocks.</li>
 * <li>{@code RANDOM}: the whole file is overwritten with pseudo-random bytes (a {@link SplittableRandom}
 * seeded once from {@link SecureRandom}: the point is destroying data, not secrecy of the noise).</li>
 * </ul>
 * An image file (qcow2 and the other qemu formats) is first replaced by a fresh empty image of
 * the same virtual size and backing file, made beside it and renamed over it, so a wiped image
 * is still a valid image; then the old file's bytes are destroyed as above before it goes. The
 * guest sees a blank disk, the host no old data. Progress is in bytes of the file; an interrupt
 * stops with {@code CANCELLED} (part of the file is then wiped).
 */
final class Wipe {
    /** How much one fallocate call covers between interrupt checks and progress reports. */
    private static final long RANGE_CHUNK = 1L << 30;

    private final PoolDirectory files;
    private final VolumeScan scan;
    private final Libc libc;
    private final QemuImg qemuImg;
    private final String object;
    private final String operation;

    Wipe(PoolDirectory files, VolumeScan scan, Libc libc, QemuImg qemuImg, String object, String operation) {
        this.files = files;
        this.scan = scan;
        this.libc = libc;
        this.qemuImg = qemuImg;
        this.object = object;
        this.operation = operation;
    }

    void wipe(Fd dir, Fd file, Stat stat, VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        VolumeFormat format = volume.format().orElse(VolumeFormat.RAW);
        boolean image = FileVolumes.QEMU_FORMATS.contains(format.name());
        if (image) {
            replaceWithEmptyImage(dir, stat, volume, format);
        }
        long size = stat.size();
        progress.progress(0, size);
        switch (algorithm) {
            case ZERO -> zero(file, volume.name(), size, stat.allocatedBytes() >= size, progress);
            case TRIM -> trim(file, size, progress);
            case RANDOM -> random(file, size, progress);
        }
        try {
            libc.fdatasync(file);
        } catch (NativeCallException e) {
            throw FileErrors.nativeCall(object, operation, "flush the wiped volume '" + volume.name() + "'", e);
        }
        progress.progress(size, size);
    }

    private void zero(Fd file, String name, long size, boolean fullyAllocated, ProgressListener progress) {
        int mode = fullyAllocated ? Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE
                : Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE;
        long offset = 0;
        while (offset < size) {
            checkInterrupt();
            long n = Math.min(RANGE_CHUNK, size - offset);
            try {
                libc.fallocate(file, mode, offset, n);
            } catch (NativeCallException e) {
                if (e.errno() != Libc.EOPNOTSUPP) {
                    throw FileErrors.nativeCall(object, operation, "zero bytes " + offset + " to " + (offset + n), e);
                }
                if (fullyAllocated && mode != (Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE)) {
                    // No ZERO_RANGE here (tmpfs): punch, then allocate the range again.
                    mode = Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE;
                    continue;
                }
                writeZerosOverData(file, offset, size, progress);
                return;
            }
            if (fullyAllocated && mode == (Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE)) {
                files.allocate(file, name, offset, n, object, operation);
            }
            offset += n;
            progress.progress(offset, size);
        }
    }

    /** Zeros the data extents from {@code from} on, leaving holes alone. */
    private void writeZerosOverData(Fd file, long from, long size, ProgressListener progress) {
        long position = from;
        while (position < size) {
            OptionalLong data = libc.seekData(file, position);
            if (data.isEmpty() || data.getAsLong() >= size) {
                return;
            }
            long start = data.getAsLong();
            long end = Math.min(size, libc.seekHole(file, start).orElse(size));
            DataCopy.writeZeros(libc, file, start, end - start, progress, size, start, object, operation);
            position = end;
        }
    }

    private void trim(Fd file, long size, ProgressListener progress) {
        long offset = 0;
        while (offset < size) {
            checkInterrupt();
            long n = Math.min(RANGE_CHUNK, size - offset);
            try {
                libc.fallocate(file, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, n);
            } catch (NativeCallException e) {
                if (e.errno() == Libc.EOPNOTSUPP) {
                    throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object, operation, "The filesystem holding "
                            + files.directory() + " cannot punch holes, so it cannot trim; wipe with ZERO instead.", e);
                }
                throw FileErrors.nativeCall(object, operation, "trim bytes " + offset + " to " + (offset + n), e);
            }
            offset += n;
            progress.progress(offset, size);
        }
    }

    private void random(Fd file, long size, ProgressListener progress) {
        SplittableRandom random = new SplittableRandom(new SecureRandom().nextLong());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(DataCopy.BUFFER_BYTES, 4096);
            long longs = buffer.byteSize() / Long.BYTES;
            long offset = 0;
            while (offset < size) {
                checkInterrupt();
                for (long i = 0; i < longs; i++) {
                    buffer.setAtIndex(ValueLayout.JAVA_LONG, i, random.nextLong());
                }
                long n = Math.min(buffer.byteSize(), size - offset);
                try {
                    offset += libc.pwrite(file, buffer.asSlice(0, n), offset);
                } catch (NativeCallException e) {
                    if (e.errno() == Libc.ENOSPC || e.errno() == Libc.EDQUOT) {
                        throw files.noSpace(object, operation, "overwrite the sparse volume with random data", e);
                    }
                    throw FileErrors.nativeCall(object, operation, "write random data at byte " + offset, e);
                }
                progress.progress(offset, size);
            }
        }
    }

    /**
     * Makes an empty image of the same virtual size and backing beside the volume and renames it
     * over the volume's name; the caller's descriptor still reaches the old file's bytes.
     */
    private void replaceWithEmptyImage(Fd dir, Stat stat, VolumeDefinition volume, VolumeFormat format) {
        // The job's temporary name: never listed, and removed by the next refresh if this process dies.
        String temporary = files.temporaryName(volume.name(), operation);
        Fd fresh = files.createFile(dir, temporary, stat.permissions(), object, operation);
        files.reached("temporary-created");
        try (fresh) {
            files.applyPermissions(fresh, Optional.empty(), stat.permissions(), object, operation);
            try {
                libc.fchown(fresh, stat.uid(), stat.gid());
            } catch (NativeCallException e) {
                // Only root may give a file away; the new image then belongs to us, as the caller made it.
            }
            Optional<Path> backing = volume.backingStore().map(VolumeDefinition.BackingStore::path);
            Optional<String> backingFormat = volume.backingStore().map(b -> b.format().map(VolumeFormat::name)
                    .orElseGet(() -> scan.backingFormat(b, object, operation)));
            try {
                qemuImg.create(files.directory().resolve(temporary), format.name(), volume.capacity(), backing, backingFormat,
                        QemuImg.CreateOptions.defaults());
            } catch (CommandException e) {
                throw FileErrors.command(object, operation, "make an empty " + format + " image to replace '" + volume.name() + "'", e);
            }
            libc.renameAt(dir, temporary, dir, volume.name(), 0);
        } catch (NativeCallException e) {
            files.removeAfterFailure(dir, temporary, e);
            throw FileErrors.nativeCall(object, operation, "replace '" + volume.name() + "' with an empty image", e);
        } catch (RuntimeException | Error e) {
            files.removeAfterFailure(dir, temporary, e);
            throw e;
        }
    }

    private void checkInterrupt() {
        if (Thread.currentThread().isInterrupted()) {
            throw FileErrors.cancelled(object, operation, "wipe " + object, null);
        }
    }
}
