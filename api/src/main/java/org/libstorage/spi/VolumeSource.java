package org.libstorage.spi;

import java.nio.channels.ReadableByteChannel;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;

/**
 * The source of a copy, possibly in another pool. A driver takes a fast path when it can (the
 * source's path is a file on the same filesystem: reflink) and reads {@link #open()} otherwise.
 */
public interface VolumeSource {
    /** The source volume as its pool reported it (path, capacity, format). */
    VolumeDefinition definition();

    PoolType poolType();

    /** The whole volume's guest-visible bytes from offset 0. */
    ReadableByteChannel open();
}
