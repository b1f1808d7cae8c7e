package org.libstorage.backends.disk;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.libstorage.ProgressListener;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.blockio.BlockVolumes;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.spi.VolumeSource;

/**
 * A partition volume's bytes, through the shared data path ({@code blockio}): bounded to the
 * partition, and for writes and wipes refused while the partition is mounted or held. Zeroing
 * and discarding are offloaded to the device ({@code BLKZEROOUT}, {@code BLKDISCARD}).
 */
final class PartitionIo {
    private final IoContext context;

    PartitionIo(String object, String operation) {
        this.context = new IoContext(object, operation);
    }

    ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        return BlockVolumes.openRead(volume, offset, length, context);
    }

    WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        return BlockVolumes.openWrite(volume, offset, length, context);
    }

    void wipe(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        BlockVolumes.wipe(volume, algorithm, progress, context);
    }

    void fill(VolumeDefinition created, VolumeSource source, ProgressListener progress) {
        BlockVolumes.fill(created, source, progress, context);
    }
}
