package org.libstorage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A pool as libvirt's {@code <pool>} XML defines it. Immutable; build one with
 * {@link #builder(PoolType, String)} or parse one with {@code org.libstorage.xml.PoolXml}.
 *
 * @param mountOptions the {@code fs:mount_opts} options of fs and netfs pools
 * @param configOptions the {@code rbd:config_opts} options of rbd pools
 */
public record PoolDefinition(
        PoolType type,
        String name,
        Optional<UUID> uuid,
        PoolSource source,
        Optional<PoolTarget> target,
        Optional<Boolean> copyOnWrite,
        List<String> mountOptions,
        List<NameValue> configOptions) {

    public PoolDefinition {
        Objects.requireNonNull(type, "type");
        Names.requireValid("pool name", name);
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(copyOnWrite, "copyOnWrite");
        mountOptions = List.copyOf(mountOptions);
        configOptions = List.copyOf(configOptions);
    }

    /** The target path, where the pool has one (dir, fs, netfs, logical's /dev/VG, ...). */
    public Optional<Path> targetPath() {
        return target.flatMap(PoolTarget::path);
    }

    public PoolDefinition withUuid(UUID newUuid) {
        return new PoolDefinition(type, name, Optional.of(newUuid), source, target, copyOnWrite, mountOptions, configOptions);
    }

    public Builder toBuilder() {
        Builder b = new Builder(type, name);
        b.uuid = uuid.orElse(null);
        b.source = source;
        b.target = target.orElse(null);
        b.copyOnWrite = copyOnWrite.orElse(null);
        b.mountOptions.addAll(mountOptions);
        b.configOptions.addAll(configOptions);
        return b;
    }

    public static Builder builder(PoolType type, String name) {
        return new Builder(type, name);
    }

    /** A name/value pair, as in {@code <rbd:option name='..' value='..'/>}. */
    public record NameValue(String name, String value) {
        public NameValue {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }

    public static final class Builder {
        private final PoolType type;
        private final String name;
        private UUID uuid;
        private PoolSource source = PoolSource.EMPTY;
        private PoolTarget target;
        private Boolean copyOnWrite;
        private final List<String> mountOptions = new ArrayList<>();
        private final List<NameValue> configOptions = new ArrayList<>();

        private Builder(PoolType type, String name) {
            this.type = type;
            this.name = name;
        }

        public Builder uuid(UUID uuid) {
            this.uuid = uuid;
            return this;
        }

        public Builder source(PoolSource source) {
            this.source = Objects.requireNonNull(source);
            return this;
        }

        public Builder target(PoolTarget target) {
            this.target = target;
            return this;
        }

        public Builder targetPath(Path path) {
            this.target = new PoolTarget(Optional.of(path), Optional.empty());
            return this;
        }

        public Builder copyOnWrite(Boolean copyOnWrite) {
            this.copyOnWrite = copyOnWrite;
            return this;
        }

        public Builder mountOption(String option) {
            mountOptions.add(option);
            return this;
        }

        public Builder configOption(String name, String value) {
            configOptions.add(new NameValue(name, value));
            return this;
        }

        public PoolDefinition build() {
            return new PoolDefinition(type, name, Optional.ofNullable(uuid), source, Optional.ofNullable(target),
                    Optional.ofNullable(copyOnWrite), mountOptions, configOptions);
        }
    }
}
