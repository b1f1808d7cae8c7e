package org.libstorage.storagectl;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.libstorage.BackendStatus;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.HostDevice;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.PoolState;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.ResizeOption;
import org.libstorage.Storage;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeInfo;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.xml.PoolXml;
import org.libstorage.xml.VolumeXml;

/**
 * An in-memory {@link Storage} that behaves like a small directory-pool host, so storagectl's
 * parsing and output can be tested without the real backends. It records what the verbs asked
 * for (build modes, wipe algorithms, find-pool-sources hints) for the tests to check.
 */
final class FakeStorage implements Storage {
    /** A volume name whose creation fails, to test how verbs and the tour handle failures. */
    String failOnVolume;
    static final long POOL_CAPACITY = 100L << 30;
    private static final int CHUNK = 64 * 1024;

    final Map<String, FakePool> pools = new TreeMap<>();
    final List<HostDevice> devices = new ArrayList<>();
    final List<PoolSource> sources = new ArrayList<>();
    final List<BackendStatus> backends = new ArrayList<>(List.of(
            BackendStatus.available(PoolType.DIR),
            BackendStatus.unavailable(PoolType.ISCSI, "this kernel has no iSCSI initiator")));
    Optional<PoolSource> lastHint = Optional.empty();
    boolean closed;

    @Override
    public List<Pool> pools() {
        return List.copyOf(pools.values());
    }

    @Override
    public Optional<Pool> pool(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    @Override
    public Pool requirePool(String name) {
        return pool(name).orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_POOL, "pool '" + name + "'", null,
                "No pool is named '" + name + "'."));
    }

    @Override
    public Optional<Pool> poolByUuid(UUID uuid) {
        return pools.values().stream().filter(p -> p.uuid.equals(uuid)).map(Pool.class::cast).findFirst();
    }

    @Override
    public Optional<Pool> poolByTargetPath(Path path) {
        return pools.values().stream().filter(p -> p.definition.targetPath().equals(Optional.of(path)))
                .map(Pool.class::cast).findFirst();
    }

    @Override
    public Pool definePool(PoolDefinition definition) {
        FakePool existing = pools.get(definition.name());
        if (existing != null) {
            throw new StorageException(ErrorCode.POOL_EXISTS, "pool '" + definition.name() + "'", "pool-define",
                    "A pool named '" + definition.name() + "' is already defined.");
        }
        FakePool pool = new FakePool(definition.uuid().isPresent() ? definition : definition.withUuid(UUID.randomUUID()));
        pools.put(definition.name(), pool);
        return pool;
    }

    @Override
    public Pool definePoolXml(String xml) {
        return definePool(PoolXml.parse(xml));
    }

    @Override
    public Optional<Volume> volumeByKey(String key) {
        return allVolumes().stream().filter(v -> v.key().equals(key)).findFirst();
    }

    @Override
    public Optional<Volume> volumeByPath(Path path) {
        Path normal = path.toAbsolutePath().normalize();
        return allVolumes().stream().filter(v -> v.path().equals(normal)).findFirst();
    }

    private List<Volume> allVolumes() {
        return pools.values().stream().filter(p -> p.active).flatMap(p -> p.volumes.values().stream())
                .map(Volume.class::cast).toList();
    }

    @Override
    public List<HostDevice> hostDevices() {
        return List.copyOf(devices);
    }

    @Override
    public List<PoolSource> findPoolSources(PoolType type, Optional<PoolSource> hint) {
        lastHint = hint;
        return List.copyOf(sources);
    }

    @Override
    public List<BackendStatus> backends() {
        return List.copyOf(backends);
    }

    @Override
    public List<Pool> startAutostartPools() {
        return List.of();
    }

    @Override
    public void close() {
        closed = true;
    }

    final class FakePool implements Pool {
        PoolDefinition definition;
        final UUID uuid;
        boolean active;
        /** Reports its space as unknown, as an rbd pool whose cluster runs no ceph-mgr does. */
        boolean spaceUnknown;
        boolean autostart;
        boolean built;
        BuildMode lastBuildMode;
        int refreshes;
        final Map<String, FakeVolume> volumes = new TreeMap<>();

        FakePool(PoolDefinition definition) {
            this.definition = definition;
            this.uuid = definition.uuid().orElseThrow();
        }

        @Override
        public String name() {
            return definition.name();
        }

        @Override
        public UUID uuid() {
            return uuid;
        }

        @Override
        public PoolType type() {
            return definition.type();
        }

        @Override
        public PoolDefinition definition() {
            return definition;
        }

        @Override
        public String toXml() {
            return PoolXml.write(definition, active ? Optional.of(info()) : Optional.empty());
        }

        @Override
        public boolean isActive() {
            return active;
        }

        @Override
        public boolean isAutostart() {
            return autostart;
        }

        @Override
        public void setAutostart(boolean autostart) {
            this.autostart = autostart;
        }

        @Override
        public PoolInfo info() {
            if (!active) {
                return PoolInfo.inactive();
            }
            if (spaceUnknown) {
                return PoolInfo.spaceUnknown(PoolState.RUNNING, java.util.List.of("no ceph-mgr"));
            }
            long allocation = volumes.values().stream().mapToLong(v -> v.info().allocation()).sum();
            return new PoolInfo(PoolState.RUNNING, POOL_CAPACITY, allocation, POOL_CAPACITY - allocation);
        }

        @Override
        public org.libstorage.PoolStatus status() {
            return new org.libstorage.PoolStatus(definition, active, autostart, info());
        }

        @Override
        public void build(BuildMode mode) {
            lastBuildMode = mode;
            built = true;
        }

        @Override
        public void start() {
            requireInactive("pool-start");
            active = true;
        }

        @Override
        public void stop() {
            requireActive("pool-stop");
            active = false;
        }

        @Override
        public void delete() {
            requireInactive("pool-delete");
            built = false;
        }

        @Override
        public void undefine() {
            requireInactive("pool-undefine");
            pools.remove(name());
        }

        @Override
        public void refresh() {
            requireActive("pool-refresh");
            refreshes++;
        }

        @Override
        public List<Volume> volumes() {
            requireActive("vol-list");
            return List.copyOf(volumes.values());
        }

        @Override
        public Optional<Volume> volume(String name) {
            requireActive("vol-lookup");
            return Optional.ofNullable(volumes.get(name));
        }

        @Override
        public Volume requireVolume(String name) {
            return volume(name).orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME,
                    "volume '" + name + "'", null, "Pool '" + name() + "' has no volume named '" + name + "'."));
        }

        @Override
        public Volume createVolume(VolumeDefinition definition) {
            requireActive("vol-create");
            if (volumes.containsKey(definition.name())) {
                throw new StorageException(ErrorCode.VOLUME_EXISTS, "volume '" + definition.name() + "'", "vol-create",
                        "Pool '" + name() + "' already has a volume named '" + definition.name() + "'.");
            }
            if (definition.name().equals(failOnVolume)) {
                throw new StorageException(ErrorCode.IO_ERROR, "volume '" + definition.name() + "'", "vol-create",
                        "The disk is on fire.");
            }
            if (definition.capacity() == 0) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "volume '" + definition.name() + "'", "vol-create",
                        "The capacity of volume '" + definition.name() + "' is 0 bytes.");
            }
            FakeVolume volume = new FakeVolume(this, definition);
            volumes.put(volume.name(), volume);
            return volume;
        }

        @Override
        public Volume createVolumeFrom(VolumeDefinition definition, Volume source, ProgressListener progress) {
            FakeVolume copy = (FakeVolume) createVolume(definition);
            ((FakeVolume) source).chunks.forEach((index, data) -> copy.chunks.put(index, data.clone()));
            progress.progress(source.info().capacity() / 2, source.info().capacity());
            progress.progress(source.info().capacity(), source.info().capacity());
            return copy;
        }

        private void requireActive(String operation) {
            if (!active) {
                throw new StorageException(ErrorCode.POOL_NOT_ACTIVE, "pool '" + name() + "'", operation,
                        "Pool '" + name() + "' is not active; start it with 'storagectl pool-start " + name() + "'.");
            }
        }

        private void requireInactive(String operation) {
            if (active) {
                throw new StorageException(ErrorCode.POOL_ACTIVE, "pool '" + name() + "'", operation,
                        "Pool '" + name() + "' is active; stop it first.");
            }
        }
    }

    static final class FakeVolume implements Volume {
        final FakePool pool;
        VolumeDefinition definition;
        final Map<Long, byte[]> chunks = new HashMap<>();
        WipeAlgorithm lastWipe;

        FakeVolume(FakePool pool, VolumeDefinition requested) {
            this.pool = pool;
            Path path = pool.definition.targetPath().orElse(Path.of("/fake", pool.name())).resolve(requested.name());
            VolumeDefinition.Builder b = requested.toBuilder().type(VolumeType.FILE).key(path.toString()).path(path);
            if (requested.format().isEmpty()) {
                b.format(VolumeFormat.RAW);
            }
            this.definition = b.build();
        }

        @Override
        public String name() {
            return definition.name();
        }

        @Override
        public String key() {
            return definition.key().orElseThrow();
        }

        @Override
        public Path path() {
            return definition.path().orElseThrow();
        }

        @Override
        public Pool pool() {
            return pool;
        }

        @Override
        public VolumeInfo info() {
            long allocated = Math.max(definition.allocation().orElse(0), (long) chunks.size() * CHUNK);
            return new VolumeInfo(VolumeType.FILE, definition.capacity(), Math.min(allocated, definition.capacity()));
        }

        @Override
        public VolumeDefinition definition() {
            return definition;
        }

        @Override
        public String toXml() {
            return VolumeXml.write(definition.toBuilder().allocation(info().allocation()).build());
        }

        @Override
        public void delete() {
            pool.volumes.remove(name());
        }

        @Override
        public void resize(long capacity, ResizeOption... options) {
            if (capacity < definition.capacity() && !List.of(options).contains(ResizeOption.ALLOW_SHRINK)) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "volume '" + name() + "'", "vol-resize",
                        "Shrinking volume '" + name() + "' needs --shrink.");
            }
            VolumeDefinition.Builder b = VolumeDefinition.builder(name(), capacity).target(definition.target())
                    .key(key()).type(VolumeType.FILE);
            if (List.of(options).contains(ResizeOption.ALLOCATE)) {
                b.allocation(capacity);
            }
            definition = b.build();
        }

        @Override
        public void wipe(WipeAlgorithm algorithm, ProgressListener progress) {
            lastWipe = algorithm;
            chunks.clear();
            progress.progress(definition.capacity(), definition.capacity());
        }

        @Override
        public Volume snapshot(String name) {
            return pool.createVolumeFrom(VolumeDefinition.builder(name, definition.capacity()).build(), this,
                    ProgressListener.NONE);
        }

        @Override
        public ReadableByteChannel download(long offset, long length) {
            long end = length < 0 ? definition.capacity() : Math.min(definition.capacity(), offset + length);
            return new ReadableByteChannel() {
                long position = offset;
                boolean open = true;

                @Override
                public int read(ByteBuffer dst) {
                    if (position >= end) {
                        return -1;
                    }
                    int n = (int) Math.min(dst.remaining(), end - position);
                    for (int i = 0; i < n; i++) {
                        byte[] chunk = chunks.get((position + i) / CHUNK);
                        dst.put(chunk == null ? 0 : chunk[(int) ((position + i) % CHUNK)]);
                    }
                    position += n;
                    return n;
                }

                @Override
                public boolean isOpen() {
                    return open;
                }

                @Override
                public void close() {
                    open = false;
                }
            };
        }

        @Override
        public WritableByteChannel upload(long offset, long length) {
            long end = length < 0 ? definition.capacity() : Math.min(definition.capacity(), offset + length);
            return new WritableByteChannel() {
                long position = offset;
                boolean open = true;

                @Override
                public int write(ByteBuffer src) {
                    if (src.remaining() > end - position) {
                        throw new StorageException(ErrorCode.INVALID_ARGUMENT, "volume '" + name() + "'", "vol-upload",
                                "The upload goes past the end of volume '" + name() + "'.");
                    }
                    int n = src.remaining();
                    for (int i = 0; i < n; i++) {
                        byte b = src.get();
                        if (b != 0 || chunks.containsKey((position + i) / CHUNK)) {
                            chunks.computeIfAbsent((position + i) / CHUNK, k -> new byte[CHUNK])[(int) ((position + i) % CHUNK)] = b;
                        }
                    }
                    position += n;
                    return n;
                }

                @Override
                public boolean isOpen() {
                    return open;
                }

                @Override
                public void close() {
                    open = false;
                }
            };
        }
    }

    @Override
    public java.util.concurrent.Flow.Publisher<org.libstorage.StorageEvent> events(long fromSequence) {
        throw new UnsupportedOperationException("FakeStorage has no event journal");
    }
}
