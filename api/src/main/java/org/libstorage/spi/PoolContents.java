package org.libstorage.spi;

import java.util.List;
import org.libstorage.PoolInfo;
import org.libstorage.VolumeDefinition;

/** What a refresh found: the pool's space and its volumes. */
public record PoolContents(PoolInfo info, List<VolumeDefinition> volumes) {
    public PoolContents {
        volumes = List.copyOf(volumes);
    }
}
