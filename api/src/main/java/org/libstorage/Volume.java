package org.libstorage;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/** A volume of an active pool. */
public interface Volume {
    String name();

    /** Unique on the host and stable across refreshes and restarts. */
    String key();

    Path path();

    Pool pool();

    VolumeInfo info();

    VolumeDefinition definition();

    /** libvirt volume XML. */
    String toXml();

    void delete();

    /** Grows the volume to {@code capacity} bytes; shrinking needs {@link ResizeOption#ALLOW_SHRINK}. */
    void resize(long capacity, ResizeOption... options);

    void wipe(WipeAlgorithm algorithm, ProgressListener progress);

    /** A point-in-time copy named {@code name}, as cheap as the pool can make it. */
    Volume snapshot(String name);

    /** A copy named {@code name} in the same pool. */
    default Volume cloneAs(String name, ProgressListener progress) {
        VolumeDefinition mine = definition();
        VolumeDefinition.Builder copy = VolumeDefinition.builder(name, mine.capacity());
        mine.format().ifPresent(copy::format);
        return pool().createVolumeFrom(copy.build(), this, progress);
    }

    /**
     * A channel reading {@code length} bytes (-1: to the end) from {@code offset}. Close it when
     * done. Its {@code read} fails with an unchecked {@link StorageException} (the lower layer's
     * error as cause; {@code CANCELLED} once the thread is interrupted), never with an
     * {@code IOException} other than {@code ClosedChannelException} after {@code close()}.
     */
    ReadableByteChannel download(long offset, long length);

    /**
     * A channel writing at {@code offset}, at most {@code length} bytes (-1: up to capacity).
     * Runs of zeros are left as holes where the storage is sparse. Fails as {@link #download}'s
     * channel does ({@code NO_SPACE} when the storage is full).
     *
     * <p>With a length given, the room is checked before anything is written: a range past the
     * volume's end is {@code INVALID_ARGUMENT}, and {@code NO_SPACE} (with the numbers) when the
     * pool's free space cannot take the upload counting every byte as data, less what the volume
     * already holds. {@link #upload(long, long, long)} counts only the data a source really has.
     */
    WritableByteChannel upload(long offset, long length);

    /**
     * As {@link #upload(long, long)}, for a source of which only {@code dataBytes} of the
     * {@code length} are data (the rest whole zero blocks, which become holes): the free-space
     * check counts those, so a sparse image fits a pool with room for its data alone.
     */
    default WritableByteChannel upload(long offset, long length, long dataBytes) {
        return upload(offset, length);
    }
}
