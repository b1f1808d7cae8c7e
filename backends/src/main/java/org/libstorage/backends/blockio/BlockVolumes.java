package org.libstorage.backends.blockio;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import org.libstorage.ErrorCode;
import org.libstorage.ProgressListener;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;
import org.libstorage.spi.VolumeSource;

/**
 * The data operations of a volume that is a block device (a partition, an LV, a zvol), for the
 * pool drivers that hand such volumes out: they supply the volume, this supplies the channels
 * and runs the engines. Writes and wipes need the device unused ({@link DeviceGuard}).
 */
public final class BlockVolumes {
    private BlockVolumes() {
    }

    /** {@code [offset, offset + length)} of the volume's device ({@code length} -1: to its end), for reading. */
    public static ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length, IoContext context) {
        return DeviceRangeChannel.open(path(volume, context), offset, length, false, context);
    }

    /** The same, for writing. */
    public static WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length, IoContext context) {
        return DeviceRangeChannel.open(path(volume, context), offset, length, true, context);
    }

    /** Wipes the whole device. */
    public static void wipe(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress,
                            IoContext context) {
        try (DeviceRangeChannel device = DeviceRangeChannel.open(path(volume, context), 0, -1, true, context)) {
            WipeEngine.wipe(device, algorithm, progress, context);
        }
    }

    /**
     * Copies {@code source} into the start of a new volume's device (its holes and zero blocks
     * zeroed with {@code BLKZEROOUT}); past the source's size the device is left as it is. The
     * caller removes the volume when this fails.
     */
    public static CopyEngine.Copied fill(VolumeDefinition created, VolumeSource source, ProgressListener progress,
                                         IoContext context) {
        long size = source.definition().capacity();
        try (DeviceRangeChannel device = DeviceRangeChannel.open(path(created, context), 0, -1, true, context);
             DataSource from = Streams.source(source.open(), size, "volume '" + source.definition().name() + "'",
                     context)) {
            CopyEngine.Copied copied = CopyEngine.copy(from, device, progress, context);
            device.flush();
            return copied;
        }
    }

    private static Path path(VolumeDefinition volume, IoContext context) {
        return volume.path().orElseThrow(() -> context.failure(ErrorCode.NO_SUCH_VOLUME,
                "The volume '" + volume.name() + "' has no device path."));
    }
}
