package org.libstorage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * A pool's {@code <source>}: where its storage comes from. Which parts matter depends on the
 * pool type (devices for fs/disk/logical, host and device for iSCSI, name for logical/zfs/rbd).
 */
public record PoolSource(
        List<Host> hosts,
        List<Device> devices,
        Optional<Path> dir,
        Optional<Adapter> adapter,
        Optional<String> name,
        Optional<String> format,
        Optional<Auth> auth,
        Optional<String> vendor,
        Optional<String> product,
        Optional<String> initiatorIqn,
        Optional<String> protocolVersion) {

    public static final PoolSource EMPTY = builder().build();

    public PoolSource {
        hosts = List.copyOf(hosts);
        devices = List.copyOf(devices);
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(product, "product");
        Objects.requireNonNull(initiatorIqn, "initiatorIqn");
        Objects.requireNonNull(protocolVersion, "protocolVersion");
    }

    /** A {@code <host name='..' port='..'/>}. */
    public record Host(String name, OptionalInt port) {
        public Host {
            Objects.requireNonNull(name, "name");
            port.ifPresent(p -> {
                if (p < 1 || p > 65535) {
                    throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null,
                            "The source host port " + p + " is not between 1 and 65535.");
                }
            });
        }

        public static Host of(String name) {
            return new Host(name, OptionalInt.empty());
        }
    }

    /** A {@code <device path='..'>} with its free extents, as disk pools report them. */
    public record Device(Path path, Optional<Boolean> partSeparator, List<Extent> freeExtents) {
        public Device {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(partSeparator, "partSeparator");
            freeExtents = List.copyOf(freeExtents);
        }

        public static Device of(Path path) {
            return new Device(path, Optional.empty(), List.of());
        }
    }

    /** A byte range {@code [start, end)}, as in {@code <freeExtent start='..' end='..'/>}. */
    public record Extent(long start, long end) {
        public Extent {
            if (start < 0 || end < start) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null,
                        "The extent [" + start + ", " + end + ") is not a valid byte range.");
            }
        }
    }

    /**
     * A SCSI {@code <adapter>}: its type ({@code scsi_host} or {@code fc_host}) and attributes in
     * document order (name, parent, wwnn, wwpn, managed, ...), plus an optional parentaddr.
     */
    public record Adapter(Optional<String> type, List<PoolDefinition.NameValue> attributes,
                          Optional<ParentAddress> parentAddress) {
        public Adapter {
            Objects.requireNonNull(type, "type");
            attributes = List.copyOf(attributes);
            Objects.requireNonNull(parentAddress, "parentAddress");
        }
    }

    /** A {@code <parentaddr unique_id='..'><address domain bus slot function/></parentaddr>}. */
    public record ParentAddress(Optional<String> uniqueId, String domain, String bus, String slot, String function) {
    }

    /**
     * An {@code <auth type='chap|ceph' username='..'><secret usage|uuid='..'/></auth>}. Only a
     * reference to the secret is kept; the secret itself comes from a {@link SecretStore}.
     */
    public record Auth(String type, String username, SecretRef secret) {
        public Auth {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(secret, "secret");
        }
    }

    /** Names a secret by its usage string or its UUID, as libvirt does. */
    public record SecretRef(Optional<String> usage, Optional<UUID> uuid) {
        public SecretRef {
            if (usage.isPresent() == uuid.isPresent()) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null,
                        "A secret reference needs exactly one of 'usage' and 'uuid'.");
            }
        }

        public static SecretRef ofUsage(String usage) {
            return new SecretRef(Optional.of(usage), Optional.empty());
        }

        public static SecretRef ofUuid(UUID uuid) {
            return new SecretRef(Optional.empty(), Optional.of(uuid));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** This source with its devices replaced, as a refresh reports them (with free extents). */
    public PoolSource withDevices(List<Device> newDevices) {
        Builder b = toBuilder();
        b.devices.clear();
        b.devices.addAll(newDevices);
        return b.build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.hosts.addAll(hosts);
        b.devices.addAll(devices);
        b.dir = dir.orElse(null);
        b.adapter = adapter.orElse(null);
        b.name = name.orElse(null);
        b.format = format.orElse(null);
        b.auth = auth.orElse(null);
        b.vendor = vendor.orElse(null);
        b.product = product.orElse(null);
        b.initiatorIqn = initiatorIqn.orElse(null);
        b.protocolVersion = protocolVersion.orElse(null);
        return b;
    }

    public static final class Builder {
        private final List<Host> hosts = new ArrayList<>();
        private final List<Device> devices = new ArrayList<>();
        private Path dir;
        private Adapter adapter;
        private String name;
        private String format;
        private Auth auth;
        private String vendor;
        private String product;
        private String initiatorIqn;
        private String protocolVersion;

        private Builder() {
        }

        public Builder host(Host host) {
            hosts.add(host);
            return this;
        }

        public Builder device(Path path) {
            devices.add(Device.of(path));
            return this;
        }

        public Builder device(Device device) {
            devices.add(device);
            return this;
        }

        public Builder dir(Path dir) {
            this.dir = dir;
            return this;
        }

        public Builder adapter(Adapter adapter) {
            this.adapter = adapter;
            return this;
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder format(String format) {
            this.format = format;
            return this;
        }

        public Builder auth(Auth auth) {
            this.auth = auth;
            return this;
        }

        public Builder vendor(String vendor) {
            this.vendor = vendor;
            return this;
        }

        public Builder product(String product) {
            this.product = product;
            return this;
        }

        public Builder initiatorIqn(String iqn) {
            this.initiatorIqn = iqn;
            return this;
        }

        public Builder protocolVersion(String version) {
            this.protocolVersion = version;
            return this;
        }

        public PoolSource build() {
            return new PoolSource(hosts, devices, Optional.ofNullable(dir), Optional.ofNullable(adapter),
                    Optional.ofNullable(name), Optional.ofNullable(format), Optional.ofNullable(auth),
                    Optional.ofNullable(vendor), Optional.ofNullable(product), Optional.ofNullable(initiatorIqn),
                    Optional.ofNullable(protocolVersion));
        }
    }
}
