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

    /**
     * A volume's {@code <target>}: its path, format, permissions and timestamps.
     *
     * @param encryption the {@code <encryption>} asked for or reported; a backend that cannot
     *        create it must refuse rather than create a plain volume
     * @param clusterSize the qcow2 cluster size in bytes ({@code <clusterSize>})
     * @param url the target path exactly as written when it is a URL ({@code gluster://host/vol/dir}),
     *        which a file {@link Path} would change (it folds {@code //}); {@code path} is then only
     *        an approximation, and XML is written from this
     */
    public record VolumeTarget(
            Optional<Path> path,
            Optional<VolumeFormat> format,
            Optional<Permissions> permissions,
            Optional<Timestamps> timestamps,
            Optional<String> compat,
            boolean nocow,
            List<String> features,
            Optional<Encryption> encryption,
            OptionalLong clusterSize,
            Optional<String> url) {
        public static final VolumeTarget EMPTY = new VolumeTarget(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), false, List.of());

        public VolumeTarget {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(permissions, "permissions");
            Objects.requireNonNull(timestamps, "timestamps");
            Objects.requireNonNull(compat, "compat");
            features = List.copyOf(features);
            Objects.requireNonNull(encryption, "encryption");
            Objects.requireNonNull(clusterSize, "clusterSize");
            Objects.requireNonNull(url, "url");
            clusterSize.ifPresent(size -> {
                if (size <= 0) {
                    throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, null,
                            "The cluster size " + size + " is not a positive number of bytes.");
                }
            });
        }

        /** A target whose path is a file path (no URL). */
        public VolumeTarget(Optional<Path> path, Optional<VolumeFormat> format, Optional<Permissions> permissions,
                            Optional<Timestamps> timestamps, Optional<String> compat, boolean nocow,
                            List<String> features, Optional<Encryption> encryption, OptionalLong clusterSize) {
            this(path, format, permissions, timestamps, compat, nocow, features, encryption, clusterSize,
                    Optional.empty());
        }

        /** A target without encryption or cluster size, as the first version of this record had it. */
        public VolumeTarget(Optional<Path> path, Optional<VolumeFormat> format, Optional<Permissions> permissions,
                            Optional<Timestamps> timestamps, Optional<String> compat, boolean nocow,
                            List<String> features) {
            this(path, format, permissions, timestamps, compat, nocow, features, Optional.empty(), OptionalLong.empty());
        }

        public VolumeTarget withPath(Path newPath) {
            return new VolumeTarget(Optional.of(newPath), format, permissions, timestamps, compat, nocow, features,
                    encryption, clusterSize, Optional.empty());
        }

        public VolumeTarget withFormat(VolumeFormat newFormat) {
            return new VolumeTarget(path, Optional.of(newFormat), permissions, timestamps, compat, nocow, features,
                    encryption, clusterSize, url);
        }
    }

    /**
     * An {@code <encryption format='luks'>}: the format, the engine, a reference to the passphrase
     * secret (never the passphrase), and for LUKS the cipher and IV generator.
     *
     * @param format {@code default}, {@code qcow}, {@code luks} or {@code luks2}
     * @param engine {@code qemu} or {@code librbd}
     */
    public record Encryption(String format, Optional<String> engine, Optional<PoolSource.SecretRef> secret,
                             Optional<Cipher> cipher, Optional<IvGenerator> ivGenerator) {
        public Encryption {
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(engine, "engine");
            Objects.requireNonNull(secret, "secret");
            Objects.requireNonNull(cipher, "cipher");
            Objects.requireNonNull(ivGenerator, "ivGenerator");
        }

        /** {@code <cipher name='aes' size='256' mode='cbc' hash='sha256'/>}; size in bits. */
        public record Cipher(String name, int size, Optional<String> mode, Optional<String> hash) {
            public Cipher {
                Objects.requireNonNull(name, "name");
                Objects.requireNonNull(mode, "mode");
                Objects.requireNonNull(hash, "hash");
            }
        }

        /** {@code <ivgen name='plain64' hash='sha256'/>}. */
        public record IvGenerator(String name, Optional<String> hash) {
            public IvGenerator {
                Objects.requireNonNull(name, "name");
                Objects.requireNonNull(hash, "hash");
            }
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
