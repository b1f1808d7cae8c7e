package org.libstorage.backends.rbd;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolState;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.SecretStore;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.blockio.CopyEngine;
import org.libstorage.backends.blockio.Streams;
import org.libstorage.backends.blockio.WipeEngine;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Rados;
import org.libstorage.nativelib.Rbd;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/**
 * One rbd pool. The cluster connection is opened lazily, once per process, and kept until the
 * pool stops or the Storage closes: the pool is "active" for every process on the host once
 * one started it (a mark in the run-state directory), since nothing on the host holds a Ceph
 * pool open in between calls. Images are opened per operation.
 *
 * <p>Snapshots and clones: a clone of an image of this pool is librbd's copy-on-write clone
 * of a protected snapshot {@code libstorage-clone-TIME-NAME} of the source, taken for the first
 * clone and shared by the next ones as long as nothing is written to the source; a volume snapshot
 * {@code NAME} is a clone of the protected snapshot {@code libstorage-snap-NAME}, so it is a
 * volume of its own, as the API promises. Deleting an image removes such snapshots of its own
 * once no clone depends on them; any other snapshot keeps the image (VOLUME_BUSY).
 */
final class RbdPoolDriver implements PoolDriver, AutoCloseable {
    static final String SNAPSHOT_PREFIX = "libstorage-";
    private static final String CLONE_SNAPSHOT = SNAPSHOT_PREFIX + "clone-";
    private static final String VOLUME_SNAPSHOT = SNAPSHOT_PREFIX + "snap-";
    /** librbd's own default for management operations in flight ({@code rbd_concurrent_management_ops}). */
    private static final int REFRESH_CONCURRENCY = 10;

    private final PoolDefinition definition;
    private final RbdBackend.Endpoint endpoint;
    private final Rados rados;
    private final Rbd rbd;
    private final SecretStore secrets;
    private final Path activeMark;
    private final String object;
    private final String monitors;
    private boolean activeHere;
    private Rados.Cluster cluster;
    private Rados.IoContext io;

    RbdPoolDriver(PoolDefinition definition, RbdBackend.Endpoint endpoint, Rados rados, Rbd rbd, SecretStore secrets,
                  Path stateDir) {
        this.definition = definition;
        this.endpoint = endpoint;
        this.rados = rados;
        this.rbd = rbd;
        this.secrets = secrets;
        this.activeMark = stateDir == null ? null : stateDir.resolve("active");
        this.object = "pool '" + definition.name() + "'";
        this.monitors = String.join(",", endpoint.monitors());
    }

    @Override
    public PoolDefinition definition() {
        return definition;
    }

    // ---- connection ---------------------------------------------------------------------

    /** The pool's I/O context, connecting first if this process has not yet. */
    private synchronized Rados.IoContext io(String operation) {
        if (io != null) {
            return io;
        }
        Rados.Config config = config(operation);
        Rados.Cluster connected;
        try {
            connected = rados.connect(config);
        } catch (NativeCallException e) {
            throw RbdErrors.map(e, object, operation, monitors);
        } catch (LibraryUnavailableException e) {
            throw RbdErrors.unavailable(e, object, operation);
        } finally {
            config.key().ifPresent(k -> Arrays.fill(k, (byte) 0));
        }
        try {
            io = connected.open(endpoint.pool(), endpoint.namespace());
            cluster = connected;
            return io;
        } catch (NativeCallException e) {
            connected.close();
            throw RbdErrors.map(e, object, operation, monitors);
        }
    }

    private Rados.Config config(String operation) {
        Optional<byte[]> key = Optional.empty();
        if (endpoint.auth().isPresent()) {
            var ref = endpoint.auth().get().secret();
            byte[] secret = secrets.lookup(ref).orElseThrow(() -> new StorageException(ErrorCode.PERMISSION_DENIED,
                    object, operation, "The secret store has no secret " + ref.usage().map(u -> "with usage '" + u + "'")
                    .orElseGet(() -> "with UUID " + ref.uuid().orElseThrow()) + " for the Ceph user '"
                    + endpoint.user() + "' of pool '" + definition.name() + "'."));
            try {
                key = Optional.of(RbdBackend.Endpoint.cephKey(secret));
            } finally {
                Arrays.fill(secret, (byte) 0);
            }
        }
        try {
            return new Rados.Config(endpoint.monitors(), endpoint.user(), key, endpoint.options(),
                    RbdBackend.DEFAULT_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, e.getMessage() + ".", e);
        }
    }

    private synchronized void disconnect() {
        if (io != null) {
            io.close();
            io = null;
        }
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    @Override
    public void close() {
        disconnect();
    }

    // ---- pool ---------------------------------------------------------------------------

    @Override
    public void start() {
        disconnect();
        io("pool-start");
        if (activeMark != null) {
            try {
                Files.createDirectories(activeMark.getParent());
                Files.writeString(activeMark, monitors + " " + endpoint.spec() + "\n");
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, object, "pool-start",
                        "Cannot mark pool '" + definition.name() + "' active in " + activeMark + ": " + e.getMessage()
                                + ".", e);
            }
        }
        activeHere = true;
    }

    @Override
    public void stop() {
        activeHere = false;
        disconnect();
        if (activeMark != null) {
            try {
                Files.deleteIfExists(activeMark);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, object, "pool-stop",
                        "Cannot clear the active mark " + activeMark + " of pool '" + definition.name() + "': "
                                + e.getMessage() + ".", e);
            }
        }
    }

    /** Started here or by another process since boot (a Ceph pool needs nothing held open). */
    @Override
    public boolean isActive() {
        return activeMark == null ? activeHere : Files.exists(activeMark);
    }

    @Override
    public PoolContents refresh() {
        String operation = "pool-refresh";
        Rados.IoContext ctx = io(operation);
        List<String> names = call(() -> rbd.list(ctx), object, operation).stream()
                .filter(RbdPoolDriver::validVolumeName).toList();
        List<VolumeDefinition> volumes = describeAll(ctx, names, operation);
        Rados.Space space = call(() -> ctx.cluster().space(), object, operation);
        Rados.PoolStats stats = call(ctx::stats, object, operation);
        // Without a running ceph-mgr the cluster reports no space at all (0 bytes): unknown, not full.
        PoolInfo info = space.total() == 0
                ? PoolInfo.spaceUnknown(PoolState.RUNNING,
                        List.of("The cluster reports no space figures (they come from a running ceph-mgr)."))
                : new PoolInfo(PoolState.RUNNING, space.total(), stats.bytes(), space.available());
        return new PoolContents(info,
                volumes);
    }

    /**
     * Opens and describes the images several at a time, as {@code rbd ls -l} does
     * ({@code rbd_concurrent_management_ops}): each open is a few round trips to the OSDs, and
     * librbd is thread-safe. Images removed since the listing are left out.
     */
    private List<VolumeDefinition> describeAll(Rados.IoContext ctx, List<String> names, String operation) {
        if (names.isEmpty()) {
            return List.of();
        }
        int threads = Math.min(REFRESH_CONCURRENCY, names.size());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads,
                Thread.ofPlatform().daemon().name("rbd-refresh-", 0).factory());
        try {
            List<java.util.concurrent.Future<Optional<VolumeDefinition>>> futures = new ArrayList<>();
            for (String name : names) {
                futures.add(pool.submit(() -> {
                    try (Rbd.Image image = rbd.open(ctx, name, true)) {
                        return Optional.of(describe(image));
                    } catch (NativeCallException e) {
                        if (e.errnoName().equals("ENOENT")) {
                            return Optional.<VolumeDefinition>empty(); // removed by another client since the listing
                        }
                        throw RbdErrors.map(e, volumeObject(name), operation, monitors);
                    }
                }));
            }
            List<VolumeDefinition> volumes = new ArrayList<>(names.size());
            for (var f : futures) {
                try {
                    f.get().ifPresent(volumes::add);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StorageException(ErrorCode.CANCELLED, object, operation,
                            "The refresh of " + object + " was interrupted.", e);
                }
            }
            return volumes;
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean validVolumeName(String name) {
        try {
            org.libstorage.Names.requireValid("volume name", name);
            return true;
        } catch (StorageException e) {
            return false; // an image name the API cannot carry; it stays invisible rather than failing the refresh
        }
    }

    private VolumeDefinition describe(Rbd.Image image) {
        Rbd.Info info = image.stat();
        long allocation = definition.refreshAllocation().orElse(PoolDefinition.RefreshAllocation.DEFAULT)
                == PoolDefinition.RefreshAllocation.CAPACITY ? info.size() : image.allocated();
        String key = endpoint.spec() + "/" + image.name();
        return VolumeDefinition.builder(image.name(), info.size())
                .type(VolumeType.NETWORK)
                .key(key)
                .allocation(allocation)
                .path(Path.of("rbd:" + key))
                .format(VolumeFormat.RAW)
                .build();
    }

    @Override
    public Optional<VolumeDefinition> describeVolume(VolumeDefinition volume) {
        String operation = "vol-info";
        Rados.IoContext ctx = io(operation);
        try (Rbd.Image image = rbd.open(ctx, volume.name(), true)) {
            return Optional.of(describe(image));
        } catch (NativeCallException e) {
            if (e.errnoName().equals("ENOENT")) {
                return Optional.empty();
            }
            throw RbdErrors.map(e, volumeObject(volume.name()), operation, monitors);
        }
    }

    // ---- volumes ------------------------------------------------------------------------

    @Override
    public VolumeDefinition createVolume(VolumeDefinition volume) {
        String operation = "vol-create";
        Rados.IoContext ctx = io(operation);
        String target = volumeObject(volume.name());
        call(() -> {
            rbd.create(ctx, volume.name(), volume.capacity(), OptionalLong.empty(), OptionalLong.empty());
            return null;
        }, target, operation);
        return created(volume.name(), volume.capacity()); // a new image owns no objects: nothing to re-read
    }

    /** What a refresh would report for an image just made, which owns no objects yet. */
    private VolumeDefinition created(String name, long capacity) {
        String key = endpoint.spec() + "/" + name;
        boolean capacityMode = definition.refreshAllocation().orElse(PoolDefinition.RefreshAllocation.DEFAULT)
                == PoolDefinition.RefreshAllocation.CAPACITY;
        return VolumeDefinition.builder(name, capacity).type(VolumeType.NETWORK).key(key)
                .allocation(capacityMode ? capacity : 0).path(Path.of("rbd:" + key)).format(VolumeFormat.RAW).build();
    }

    @Override
    public VolumeDefinition createVolumeFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        String operation = "vol-create-from";
        Rados.IoContext ctx = io(operation);
        String target = volumeObject(volume.name());
        Optional<String> sameCluster = imageOfThisPool(source);
        if (sameCluster.isPresent()) {
            return cloneImage(ctx, sameCluster.get(), volume, Optional.empty(), operation);
        }
        long capacity = Math.max(volume.capacity(), source.definition().capacity());
        call(() -> {
            rbd.create(ctx, volume.name(), capacity, OptionalLong.empty(), OptionalLong.empty());
            return null;
        }, target, operation);
        org.libstorage.backends.blockio.IoContext context =
                new org.libstorage.backends.blockio.IoContext(target, operation);
        try (ReadableByteChannel in = source.open();
             ImageMedium sink = new ImageMedium(call(() -> rbd.open(ctx, volume.name(), false), target, operation),
                     capacity, true, context, monitors)) {
            CopyEngine.copy(Streams.source(in, source.definition().capacity(), source.definition().name(), context),
                    sink, progress == null ? ProgressListener.NONE : progress, context);
            sink.flush();
        } catch (IOException | RuntimeException e) {
            try {
                rbd.remove(ctx, volume.name());
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof IOException io) {
                throw new StorageException(ErrorCode.IO_ERROR, target, operation,
                        "Cannot read the source of " + target + ": " + io.getMessage() + ".", io);
            }
            throw (RuntimeException) e;
        }
        return find(volume.name(), operation);
    }

    /**
     * The image name when {@code source} is an image of this very pool (same Ceph pool and
     * namespace, and the image exists here), so a clone can share its data.
     */
    private Optional<String> imageOfThisPool(VolumeSource source) {
        if (source.poolType() != PoolType.RBD) {
            return Optional.empty();
        }
        String prefix = "rbd:" + endpoint.spec() + "/";
        return source.definition().path().map(Path::toString).filter(p -> p.startsWith(prefix))
                .map(p -> p.substring(prefix.length())).filter(n -> !n.contains("/"));
    }

    /** Snapshot {@code snapshot} of {@code parent}, protected, and a COW clone of it named after {@code volume}. */
    /**
     * Clones {@code parent} as {@code volume}, from a new protected snapshot named {@code snapshotName},
     * or, when that is empty, from the parent's shared clone snapshot (made if the parent
     * changed since the last one).
     */
    private VolumeDefinition cloneImage(Rados.IoContext ctx, String parent, VolumeDefinition volume,
                                        Optional<String> snapshotName, String operation) {
        String target = volumeObject(volume.name());
        long size = call(() -> {
            long features;
            long parentSize;
            String snapshot;
            boolean made = false;
            try (Rbd.Image image = rbd.open(ctx, parent, false)) {
                features = image.features();
                parentSize = image.stat().size();
                Optional<String> unchanged = snapshotName.isEmpty() ? unchangedCloneSnapshot(image) : Optional.empty();
                if (unchanged.isPresent()) {
                    snapshot = unchanged.get();
                } else {
                    snapshot = snapshotName.orElse(
                            CLONE_SNAPSHOT + Long.toString(System.currentTimeMillis(), 36) + "-" + volume.name());
                    image.createSnapshot(snapshot);
                    made = true;
                    try {
                        image.protectSnapshot(snapshot);
                    } catch (RuntimeException e) {
                        removeQuietly(image, snapshot, e);
                        throw e;
                    }
                }
            }
            try {
                rbd.clone(ctx, parent, snapshot, ctx, volume.name(), OptionalLong.of(features));
            } catch (RuntimeException e) {
                if (made) {
                    try (Rbd.Image image = rbd.open(ctx, parent, false)) {
                        image.unprotectSnapshot(snapshot);
                        image.removeSnapshot(snapshot);
                    } catch (RuntimeException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                }
                throw e;
            }
            if (volume.capacity() > parentSize) {
                try (Rbd.Image child = rbd.open(ctx, volume.name(), false)) {
                    child.resize(volume.capacity(), false);
                }
            }
            return Math.max(parentSize, volume.capacity());
        }, target, operation);
        return created(volume.name(), size);
    }

    /**
     * The newest protected clone snapshot of {@code image} if nothing was written to the image
     * since: a snapshot and its protection are two cluster-wide updates, so clones of an image
     * that did not change share one, as with {@code rbd clone} scripts and libvirt.
     */
    private static Optional<String> unchangedCloneSnapshot(Rbd.Image image) {
        return image.snapshots().stream()
                .filter(s -> s.name().startsWith(CLONE_SNAPSHOT))
                .max(java.util.Comparator.comparingLong(Rbd.Snapshot::id))
                .map(Rbd.Snapshot::name)
                .filter(name -> image.snapshotProtected(name) && !image.changedSince(name));
    }

    private static void removeQuietly(Rbd.Image image, String snapshot, RuntimeException failure) {
        try {
            image.removeSnapshot(snapshot);
        } catch (RuntimeException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }

    @Override
    public void deleteVolume(VolumeDefinition volume) {
        String operation = "vol-delete";
        Rados.IoContext ctx = io(operation);
        String target = volumeObject(volume.name());
        call(() -> {
            try (Rbd.Image image = rbd.open(ctx, volume.name(), false)) {
                requireNoOtherWatchers(image, target, operation, "deleted");
                List<String> others = new ArrayList<>();
                for (Rbd.Snapshot snap : image.snapshots()) {
                    if (!snap.name().startsWith(SNAPSHOT_PREFIX)) {
                        others.add(snap.name());
                        continue;
                    }
                    if (image.snapshotProtected(snap.name())) {
                        try {
                            image.unprotectSnapshot(snap.name());
                        } catch (NativeCallException e) {
                            if (e.errnoName().equals("EBUSY")) {
                                throw new StorageException(ErrorCode.VOLUME_BUSY, target, operation, "Volume '"
                                        + volume.name() + "' has clones made from its snapshot '" + snap.name()
                                        + "'; delete them (or flatten them with 'rbd flatten') first.", e);
                            }
                            throw e;
                        }
                    }
                    image.removeSnapshot(snap.name());
                }
                if (!others.isEmpty()) {
                    throw new StorageException(ErrorCode.VOLUME_BUSY, target, operation, "Volume '" + volume.name()
                            + "' has snapshots " + others + " that libstorage did not make; remove them first"
                            + " ('rbd snap purge " + endpoint.spec() + "/" + volume.name() + "').");
                }
            }
            rbd.remove(ctx, volume.name());
            return null;
        }, target, operation);
    }

    /**
     * Refuses when a client other than this one watches the image: in Ceph that is how an
     * image is in use (a running guest, a mapped kernel device, another agent's stream).
     */
    private void requireNoOtherWatchers(Rbd.Image image, String target, String operation, String what) {
        long self = image.ioContext().cluster().instanceId();
        List<Rbd.Watcher> others = image.watchers().stream().filter(w -> w.id() != self).toList();
        if (!others.isEmpty()) {
            throw new StorageException(ErrorCode.VOLUME_BUSY, target, operation, "Volume '" + image.name()
                    + "' is in use by " + others.stream().map(Rbd.Watcher::toString).toList()
                    + " (the image's watchers), so it cannot be " + what + "; close it there first.");
        }
    }

    @Override
    public VolumeDefinition resizeVolume(VolumeDefinition volume, long capacity, boolean allowShrink, boolean allocate) {
        String operation = "vol-resize";
        Rados.IoContext ctx = io(operation);
        String target = volumeObject(volume.name());
        call(() -> {
            try (Rbd.Image image = rbd.open(ctx, volume.name(), false)) {
                if (capacity < image.stat().size()) {
                    requireNoOtherWatchers(image, target, operation, "shrunk");
                }
                image.resize(capacity, allowShrink);
            }
            return null;
        }, target, operation);
        return find(volume.name(), operation);
    }

    @Override
    public void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        String operation = "vol-wipe";
        Rados.IoContext ctx = io(operation);
        String target = volumeObject(volume.name());
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        call(() -> {
            try (Rbd.Image image = rbd.open(ctx, volume.name(), true)) {
                requireNoOtherWatchers(image, target, operation, "wiped");
            }
            return null;
        }, target, operation);
        Rbd.Image image = call(() -> rbd.open(ctx, volume.name(), false), target, operation);
        long size;
        try {
            size = call(() -> image.stat().size(), target, operation);
        } catch (RuntimeException e) {
            image.close();
            throw e;
        }
        try (ImageMedium sink = new ImageMedium(image, size, false,
                new org.libstorage.backends.blockio.IoContext(target, operation), monitors)) {
            WipeEngine.wipe(sink, algorithm, listener, new org.libstorage.backends.blockio.IoContext(target, operation));
        }
    }

    @Override
    public VolumeDefinition snapshotVolume(VolumeDefinition volume, String snapshotName) {
        String operation = "vol-snapshot";
        Rados.IoContext ctx = io(operation);
        VolumeDefinition snapshot = VolumeDefinition.builder(snapshotName, volume.capacity()).build();
        return cloneImage(ctx, volume.name(), snapshot, Optional.of(VOLUME_SNAPSHOT + snapshotName), operation);
    }

    @Override
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        return channel(volume, offset, length, true, "vol-download");
    }

    @Override
    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        return channel(volume, offset, length, false, "vol-upload");
    }

    private ImageChannel channel(VolumeDefinition volume, long offset, long length, boolean readOnly, String operation) {
        Rados.IoContext ctx = io(operation);
        String target = volumeObject(volume.name());
        Rbd.Image image = call(() -> rbd.open(ctx, volume.name(), readOnly), target, operation);
        try {
            long size = call(() -> image.stat().size(), target, operation);
            long end = length < 0 ? size : offset + length;
            if (offset < 0 || offset > size || end > size || end < offset) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, target, operation, "The range [" + offset + ", "
                        + end + ") is not within " + target + " (" + size + " bytes).");
            }
            return new ImageChannel(image, offset, end, target, operation, monitors);
        } catch (RuntimeException e) {
            image.close();
            throw e;
        }
    }

    // ---- helpers ------------------------------------------------------------------------

    private VolumeDefinition find(String name, String operation) {
        Rados.IoContext ctx = io(operation);
        try (Rbd.Image image = call(() -> rbd.open(ctx, name, true), volumeObject(name), operation)) {
            return call(() -> describe(image), volumeObject(name), operation);
        }
    }

    private String volumeObject(String name) {
        return "volume '" + name + "' in pool '" + definition.name() + "'";
    }

    private <T> T call(java.util.function.Supplier<T> body, String target, String operation) {
        try {
            return body.get();
        } catch (NativeCallException e) {
            throw RbdErrors.map(e, target, operation, monitors);
        } catch (LibraryUnavailableException e) {
            throw RbdErrors.unavailable(e, target, operation);
        }
    }
}
