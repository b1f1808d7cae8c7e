package org.libstorage;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A volume as libvirt's {@code <volume>} XML describes it: what to create (name, capacity,
 * allocation, format) and, as reported by a pool, what exists (key, path, sizes, timestamps).
 * Sizes are in bytes.
 *
 * @param allocation bytes to allocate up front on create (0 = sparse); bytes in use when reported
 * @param physical the host-side size of the volume's storage, where it differs from capacity
 * @param extents for block volumes, the device ranges they occupy ({@code <source><device><extent>})
 */
public record VolumeDefinition(
        Optional<VolumeType> type,
        String name,
        Optional<String> key,
        long capacity,
        OptionalLong allocation,
        OptionalLong physical,
        VolumeTarget target,
        Optional<BackingStore> backingStore,
        List<SourceExtents> extents) {

    public VolumeDefinition {
        Objects.requireNonNull(type, "type");
        Names.requireValid("volume name", name);
        Objects.requireNonNull(key, "key");
        if (capacity < 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "volume '" + name + "'", null,
                    "The capacity of volume '" + name + "' is negative (" + capacity + " bytes).");
        }
        allocation.ifPresent(a -> {
            if (a < 0) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "volume '" + name + "'", null,
                        "The allocation of volume '" + name + "' is negative (" + a + " bytes).");
            }
        });
        Objects.requireNonNull(physical, "physical");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(backingStore, "backingStore");
        extents = List.copyOf(extents);
    }

    public Optional<Path> path() {
        return target.path();
    }

    public Optional<VolumeFormat> format() {
        return target.format();
    }

    public static Builder builder(String name, long capacity) {
        return new Builder(name, capacity);
    }

    public Builder toBuilder() {
        Builder b = new Builder(name, capacity);
        b.type = type.orElse(null);
        b.key = key.orElse(null);
        b.allocation = allocation;
        b.physical = physical;
        b.target = target;
        b.backingStore = backingStore.orElse(null);
        b.extents.addAll(extents);
        return b;
    }

    /** A volume's {@code <target>}: its path, format, permissions and timestamps. */
    public record VolumeTarget(
            Optional<Path> path,
            Optional<VolumeFormat> format,
            Optional<Permissions> permissions,
            Optional<Timestamps> timestamps,
            Optional<String> compat,
            boolean nocow,
            List<String> features) {
        public static final VolumeTarget EMPTY = new VolumeTarget(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), false, List.of());

        public VolumeTarget {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(permissions, "permissions");
            Objects.requireNonNull(timestamps, "timestamps");
            Objects.requireNonNull(compat, "compat");
            features = List.copyOf(features);
        }

        public VolumeTarget withPath(Path newPath) {
            return new VolumeTarget(Optional.of(newPath), format, permissions, timestamps, compat, nocow, features);
        }

        public VolumeTarget withFormat(VolumeFormat newFormat) {
            return new VolumeTarget(path, Optional.of(newFormat), permissions, timestamps, compat, nocow, features);
        }
    }

    /** File times as libvirt reports them in {@code <timestamps>}. */
    public record Timestamps(Optional<Instant> atime, Optional<Instant> mtime, Optional<Instant> ctime,
                             Optional<Instant> btime) {
    }

    /** A {@code <backingStore>}: the image a copy-on-write volume reads unwritten data from. */
    public record BackingStore(Path path, Optional<VolumeFormat> format, Optional<Permissions> permissions) {
        public BackingStore {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(permissions, "permissions");
        }
    }

    /** The extents a block volume occupies on one device. */
    public record SourceExtents(Path device, List<PoolSource.Extent> extents) {
        public SourceExtents {
            Objects.requireNonNull(device, "device");
            extents = List.copyOf(extents);
        }
    }

    public static final class Builder {
        private final String name;
        private final long capacity;
        private VolumeType type;
        private String key;
        private OptionalLong allocation = OptionalLong.empty();
        private OptionalLong physical = OptionalLong.empty();
        private VolumeTarget target = VolumeTarget.EMPTY;
        private BackingStore backingStore;
        private final List<SourceExtents> extents = new ArrayList<>();

        private Builder(String name, long capacity) {
            this.name = name;
            this.capacity = capacity;
        }

        public Builder type(VolumeType type) {
            this.type = type;
            return this;
        }

        public Builder key(String key) {
            this.key = key;
            return this;
        }

        public Builder allocation(long allocation) {
            this.allocation = OptionalLong.of(allocation);
            return this;
        }

        public Builder physical(long physical) {
            this.physical = OptionalLong.of(physical);
            return this;
        }

        public Builder target(VolumeTarget target) {
            this.target = Objects.requireNonNull(target);
            return this;
        }

        public Builder path(Path path) {
            this.target = target.withPath(path);
            return this;
        }

        public Builder format(VolumeFormat format) {
            this.target = target.withFormat(format);
            return this;
        }

        public Builder backingStore(BackingStore backingStore) {
            this.backingStore = backingStore;
            return this;
        }

        public Builder extents(SourceExtents sourceExtents) {
            extents.add(sourceExtents);
            return this;
        }

        public VolumeDefinition build() {
            return new VolumeDefinition(Optional.ofNullable(type), name, Optional.ofNullable(key), capacity,
                    allocation, physical, target, Optional.ofNullable(backingStore), extents);
        }
    }
}
