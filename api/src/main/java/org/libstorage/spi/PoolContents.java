package org.libstorage.spi;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.VolumeDefinition;

/**
 * What a refresh found: the pool's space, its volumes and, where the refresh learns more about
 * the source than the definition says (a disk pool's free extents), the source as found. The
 * pool's XML shows that source while the pool is active, as libvirt's does.
 */
public record PoolContents(PoolInfo info, List<VolumeDefinition> volumes, Optional<PoolSource> source) {
    public PoolContents {
        Objects.requireNonNull(info, "info");
        volumes = List.copyOf(volumes);
        Objects.requireNonNull(source, "source");
    }

    public PoolContents(PoolInfo info, List<VolumeDefinition> volumes) {
        this(info, volumes, Optional.empty());
    }
}
