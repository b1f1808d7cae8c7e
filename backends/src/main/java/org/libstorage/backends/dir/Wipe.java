package org.libstorage.backends.dir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import org.libstorage.ProgressListener;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.blockio.FileRangeChannel;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.backends.blockio.WipeEngine;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.QemuImg;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;

/**
 * Destroys a file volume's data through the shared wipe engine ({@link WipeEngine}), without
 * writing gigabytes of zeros:
 * <ul>
 * <li>{@code ZERO}: a sparse file has its ranges punched out ({@code FALLOC_FL_PUNCH_HOLE}); a fully
 * allocated one is zeroed in place ({@code FALLOC_FL_ZERO_RANGE}) so it stays allocated. Where the
 * filesystem can do neither, zeros are written over the data extents only (holes already read as
 * zeros).</li>
 * <li>{@code TRIM}: every range is punched out; the filesystem frees (and may discard) the blocks.</li>
 * <li>{@code RANDOM}: the whole file is overwritten with the engine's random data.</li>
 * </ul>
 * An image file (qcow2 and the other qemu formats) is first replaced by a fresh empty image of
 * the same virtual size and backing file, made beside it and renamed over it, so a wiped image
 * is still a valid image; then the old file's bytes are destroyed as above before it goes. The
 * guest sees a blank disk, the host no old data. Progress is in bytes of the file; an interrupt
 * stops with {@code CANCELLED} (part of the file is then wiped).
 */
final class Wipe {
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
        FileRangeChannel.Zeroing zeroing = stat.allocatedBytes() >= stat.size()
                ? FileRangeChannel.Zeroing.KEEP_ALLOCATED : FileRangeChannel.Zeroing.PUNCH;
        try (FileRangeChannel channel = FileRangeChannel.borrowing(file, files.directory().resolve(volume.name()), 0,
                stat.size(), zeroing, new IoContext(object, operation))) {
            WipeEngine.wipe(channel, algorithm, progress, new IoContext(object, operation));
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

}
