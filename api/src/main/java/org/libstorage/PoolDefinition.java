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
 * @param refreshAllocation how a refresh reports volume allocation ({@code <refresh><volume
 *        allocation='..'/>}, rbd pools)
 */
public record PoolDefinition(
        PoolType type,
        String name,
        Optional<UUID> uuid,
        PoolSource source,
        Optional<PoolTarget> target,
        Optional<Boolean> copyOnWrite,
        List<String> mountOptions,
        List<NameValue> configOptions,
        Optional<RefreshAllocation> refreshAllocation) {

    public PoolDefinition {
        Objects.requireNonNull(type, "type");
        Names.requireValid("pool name", name);
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(copyOnWrite, "copyOnWrite");
        mountOptions = List.copyOf(mountOptions);
        configOptions = List.copyOf(configOptions);
        Objects.requireNonNull(refreshAllocation, "refreshAllocation");
    }

    /** A definition without a refresh policy, as the first version of this record had it. */
    public PoolDefinition(PoolType type, String name, Optional<UUID> uuid, PoolSource source,
                          Optional<PoolTarget> target, Optional<Boolean> copyOnWrite, List<String> mountOptions,
                          List<NameValue> configOptions) {
        this(type, name, uuid, source, target, copyOnWrite, mountOptions, configOptions, Optional.empty());
    }

    /** The target path, where the pool has one (dir, fs, netfs, logical's /dev/VG, ...). */
    public Optional<Path> targetPath() {
        return target.flatMap(PoolTarget::path);
    }

    public PoolDefinition withUuid(UUID newUuid) {
        return new PoolDefinition(type, name, Optional.of(newUuid), source, target, copyOnWrite, mountOptions,
                configOptions, refreshAllocation);
    }

    public Builder toBuilder() {
        Builder b = new Builder(type, name);
        b.uuid = uuid.orElse(null);
        b.source = source;
        b.target = target.orElse(null);
        b.copyOnWrite = copyOnWrite.orElse(null);
        b.mountOptions.addAll(mountOptions);
        b.configOptions.addAll(configOptions);
        b.refreshAllocation = refreshAllocation.orElse(null);
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

    /**
     * What a pool refresh reports as a volume's allocation: libvirt's {@code default} (what the
     * storage reports as used) or {@code capacity} (skip the costly per-volume usage scan).
     */
    public enum RefreshAllocation {
        DEFAULT("default"), CAPACITY("capacity");

        private final String xmlName;

        RefreshAllocation(String xmlName) {
            this.xmlName = xmlName;
        }

        /** The value of {@code <volume allocation='...'/>}. */
        public String xmlName() {
            return xmlName;
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
        private RefreshAllocation refreshAllocation;

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

        public Builder refreshAllocation(RefreshAllocation refreshAllocation) {
            this.refreshAllocation = refreshAllocation;
            return this;
        }

        public PoolDefinition build() {
            return new PoolDefinition(type, name, Optional.ofNullable(uuid), source, Optional.ofNullable(target),
                    Optional.ofNullable(copyOnWrite), mountOptions, configOptions, Optional.ofNullable(refreshAllocation));
        }
    }
}
