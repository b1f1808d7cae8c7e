package org.libstorage.backends.zfs;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.PoolState;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.blockio.BlockVolumes;
import org.libstorage.backends.blockio.DeviceGuard;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.backends.zfs.ZfsErrors.Subject;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.CommandResult;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.ZfsCore;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/**
 * One zfs pool: the zvols directly under a dataset ({@code POOL} or {@code POOL/DATASET}).
 * Volumes are created, snapshotted, cloned and destroyed through libzfs_core and listed with a
 * read-only channel program; pools are made, imported, exported and destroyed with
 * {@code zpool}, and a volume's size set with {@code zfs set volsize} (libzfs_core has no call
 * for either). A volume's key is its dataset name; its path is {@code /dev/zvol/DATASET}
 * (udev's link, as libvirt reports it), or the {@code /dev/zdN} the kernel made where udev
 * does not run.
 */
final class ZfsPoolDriver implements PoolDriver {
    private static final System.Logger LOG = System.getLogger(ZfsPoolDriver.class.getName());
    /** Sizes are rounded up to this, which every volblocksize up to 128 KiB (ZFS's limit without large_blocks) divides. */
    static final long SIZE_GRANULE = 128 << 10;
    /** The volblocksize ZFS 2.1 gives a zvol when none is asked for; the smallest of recent defaults. */
    static final long DEFAULT_VOLBLOCKSIZE = 8 << 10;
    private static final Duration DEVICE_TIMEOUT = Duration.ofSeconds(30);

    private final PoolDefinition definition;
    private final Zfs zfs;
    private final ZvolDevices devices;
    private final String dataset;
    private final String pool;
    /** Present while this library imported the pool (so stop exports it); absent for pools managed elsewhere. */
    private final Path importedMarker;

    ZfsPoolDriver(PoolDefinition definition, Zfs zfs, BackendContext context) {
        this.definition = definition;
        this.zfs = zfs;
        this.devices = new ZvolDevices();
        this.dataset = definition.source().name().orElse(definition.name());
        this.pool = ZfsNames.poolOf(dataset);
        this.importedMarker = context.stateDir().resolve("imported-by-libstorage");
    }

    @Override
    public PoolDefinition definition() {
        return definition;
    }

    private String poolObject() {
        return "pool '" + definition.name() + "'";
    }

    private String volumeObject(String name) {
        return "volume '" + name + "' in pool '" + definition.name() + "'";
    }

    private ZfsCore core() {
        return zfs.core();
    }

    // ---- pool -------------------------------------------------------------------------------

    /**
     * {@code zpool create -m none POOL DEVICES} (nothing mounted: the pool holds zvols), after
     * every device passed {@link DeviceGuard}: unused, and blank unless {@code OVERWRITE}, which
     * erases the signatures first. A pool whose source is {@code POOL/DATASET} builds only the
     * dataset, in a pool that must already be imported (as libvirt does).
     */
    @Override
    public void build(BuildMode mode) {
        String operation = "pool-build";
        if (dataset.contains("/")) {
            if (!exists(pool, operation)) {
                throw new StorageException(ErrorCode.NO_SUCH_POOL, poolObject(), operation, "The ZFS pool '" + pool
                        + "' is not imported, so dataset '" + dataset + "' cannot be made in it; build or import it first.");
            }
            try {
                core().create(dataset, ZfsCore.DatasetType.FILESYSTEM, Map.of("mountpoint", "none"));
            } catch (NativeCallException e) {
                throw ZfsErrors.map(e, Subject.POOL, poolObject(), operation, "dataset " + dataset);
            }
            return;
        }
        List<Path> sources = definition.source().devices().stream().map(PoolSource.Device::path).toList();
        if (sources.isEmpty()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, poolObject(), operation, "The zfs pool '"
                    + definition.name() + "' names no source device to make ZFS pool '" + pool + "' on.");
        }
        if (exists(pool, operation)) {
            throw new StorageException(ErrorCode.POOL_EXISTS, poolObject(), operation,
                    "A ZFS pool named '" + pool + "' is already imported on this host.");
        }
        // Every device is checked before any is wiped, so a refused device leaves the others as they were.
        for (Path device : sources) {
            DeviceGuard.requireUnused(DeviceGuard.requireBlockDevice(device, "device " + device, operation),
                    "device " + device, operation);
        }
        for (Path device : sources) {
            DeviceGuard.prepareForBuild(device, mode, "device " + device, operation);
        }
        List<String> args = new ArrayList<>(List.of("create", "-m", "none"));
        if (mode == BuildMode.OVERWRITE) {
            args.add("-f");
        }
        args.add(pool);
        sources.forEach(d -> args.add(d.toString()));
        zpool(args, poolObject(), operation, "create ZFS pool '" + pool + "'");
    }

    /**
     * Imports the pool (without mounting anything) when it is not imported, remembering that
     * this library did so; a pool imported by someone else is only checked.
     */
    @Override
    public void start() {
        String operation = "pool-start";
        if (!exists(pool, operation)) {
            List<String> args = new ArrayList<>(List.of("import", "-N"));
            for (PoolSource.Device device : definition.source().devices()) {
                args.add("-d");
                args.add(device.path().toString());
            }
            args.add(pool);
            zpool(args, poolObject(), operation, "import ZFS pool '" + pool + "'");
            try {
                Files.createDirectories(importedMarker.getParent());
                Files.writeString(importedMarker, pool + "\n");
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot record that pool {0} was imported: {1}", pool, e);
            }
        }
        if (!exists(dataset, operation)) {
            throw new StorageException(ErrorCode.NO_SUCH_POOL, poolObject(), operation,
                    "ZFS pool '" + pool + "' has no dataset '" + dataset + "'; build the pool to make it.");
        }
    }

    /** Exports the pool if this library imported it; leaves a pool imported by someone else alone. */
    @Override
    public void stop() {
        if (!Files.exists(importedMarker)) {
            return;
        }
        if (exists(pool, "pool-stop")) {
            // udev reads a zvol for a moment after it is made or written, and zpool export then
            // says "pool is busy": that is waited out briefly, a real user of the pool is not.
            long deadline = System.nanoTime() + BRIEF_HOLD.toNanos();
            while (true) {
                CommandResult export;
                try {
                    export = zfs.commands().zpool(List.of("export", pool));
                } catch (CommandException e) {
                    throw ZfsErrors.map(e, poolObject(), "pool-stop", "export ZFS pool '" + pool + "'");
                }
                if (export.succeeded()) {
                    break;
                }
                if (!export.stderr().contains("is busy") || System.nanoTime() - deadline > 0) {
                    throw ZfsErrors.map(export.exitStatusException(), poolObject(), "pool-stop",
                            "export ZFS pool '" + pool + "'");
                }
                pause();
            }
        }
        try {
            Files.deleteIfExists(importedMarker);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", importedMarker, e);
        }
    }

    /** Active while its dataset exists (its pool imported), as libvirt sees a zfs pool. */
    @Override
    public boolean isActive() {
        if (!ZfsCore.kernelModuleLoaded()) {
            return false;
        }
        try {
            return core().exists(dataset);
        } catch (NativeCallException | LibraryUnavailableException e) {
            return false;
        }
    }

    /**
     * {@code zpool destroy} (importing the pool first if it is exported); for a pool on a
     * dataset, {@code zfs destroy -r} of that dataset, as libvirt does.
     */
    @Override
    public void delete() {
        String operation = "pool-delete";
        if (dataset.contains("/")) {
            zfsCommand(List.of("destroy", "-r", dataset), poolObject(), operation, "destroy dataset " + dataset);
            return;
        }
        if (!exists(pool, operation)) {
            start();
        }
        zpool(List.of("destroy", pool), poolObject(), operation, "destroy ZFS pool '" + pool + "'");
        try {
            Files.deleteIfExists(importedMarker);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", importedMarker, e);
        }
    }

    /** One channel program lists the zvols under the dataset with their sizes and origins. */
    @Override
    public PoolContents refresh() {
        Zfs.Listing listing;
        try {
            listing = zfs.list(dataset);
        } catch (NativeCallException e) {
            throw ZfsErrors.map(e, Subject.POOL, poolObject(), "pool-refresh", "dataset " + dataset);
        } catch (CommandException e) {
            throw ZfsErrors.map(e, poolObject(), "pool-refresh", "list the zvols of " + dataset);
        }
        if (!listing.exists()) {
            throw new StorageException(ErrorCode.NO_SUCH_POOL, poolObject(), "pool-refresh",
                    "ZFS has no dataset '" + dataset + "' (pool '" + definition.name() + "'); is pool '" + pool
                            + "' imported?");
        }
        Map<String, Path> unlinked = devices.unlinked();
        List<VolumeDefinition> volumes = listing.volumes().stream().map(z -> toVolume(z, unlinked)).toList();
        List<String> notes = new ArrayList<>();
        if (!zfs.usesChannelPrograms()) {
            notes.add("volumes are listed with zfs list: ZFS channel programs cannot run here");
        }
        long capacity = listing.used() + listing.available();
        return new PoolContents(new PoolInfo(PoolState.RUNNING, capacity, listing.used(), listing.available(), notes),
                volumes);
    }

    private VolumeDefinition toVolume(Zfs.Zvol zvol, Map<String, Path> unlinked) {
        Path path = unlinked.getOrDefault(zvol.dataset(), ZvolDevices.link(zvol.dataset()));
        VolumeDefinition.Builder volume = VolumeDefinition.builder(zvol.name(), zvol.volsize())
                .type(VolumeType.BLOCK)
                .key(zvol.dataset())
                .path(path)
                .allocation(zvol.used())
                .physical(zvol.referenced());
        zvol.origin().ifPresent(origin -> volume.backingStore(new VolumeDefinition.BackingStore(
                ZvolDevices.link(origin), Optional.empty(), Optional.empty())));
        return volume.build();
    }

    @Override
    public Optional<VolumeDefinition> describeVolume(VolumeDefinition volume) {
        return describe(datasetOf(volume), "vol-info");
    }

    private Optional<VolumeDefinition> describe(String volumeDataset, String operation) {
        try {
            return zfs.describe(volumeDataset).map(z -> toVolume(z,
                    devices.find(z.dataset()).map(p -> Map.of(z.dataset(), p)).orElse(Map.of())));
        } catch (NativeCallException e) {
            throw ZfsErrors.map(e, Subject.VOLUME, volumeObject(volumeDataset), operation, "zvol " + volumeDataset);
        } catch (CommandException e) {
            throw ZfsErrors.map(e, volumeObject(volumeDataset), operation, "describe zvol " + volumeDataset);
        }
    }

    private VolumeDefinition described(String volumeDataset, String name, String operation) {
        return describe(volumeDataset, operation).orElseThrow(() -> new StorageException(ErrorCode.INTERNAL_ERROR,
                volumeObject(name), operation, "ZFS reported success but zvol " + volumeDataset + " is not there."));
    }

    // ---- volumes ------------------------------------------------------------------------------

    /**
     * {@code lzc_create} of a zvol: {@code volsize} the capacity rounded up to 128 KiB;
     * allocation 0 makes it sparse (no reservation), an allocation below the capacity reserves
     * that much ({@code refreservation}), and the full capacity (the default, as with
     * {@code zfs create -V}) reserves it with room for its metadata.
     */
    @Override
    public VolumeDefinition createVolume(VolumeDefinition volume) {
        String operation = "vol-create";
        String object = volumeObject(volume.name());
        String name = ZfsNames.child(dataset, volume.name(), "volume", object, operation);
        if (volume.capacity() <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "A zvol needs a capacity above 0 bytes (volume '" + volume.name() + "').");
        }
        long size = roundUp(volume.capacity(), SIZE_GRANULE);
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("volsize", size);
        long allocation = volume.allocation().orElse(volume.capacity());
        if (allocation >= volume.capacity()) {
            props.put("refreservation", fullReservation(size, DEFAULT_VOLBLOCKSIZE));
        } else if (allocation > 0) {
            props.put("refreservation", allocation);
        }
        try {
            core().create(name, ZfsCore.DatasetType.VOLUME, props);
        } catch (NativeCallException e) {
            throw ZfsErrors.map(e, Subject.VOLUME, object, operation, "zvol " + name);
        }
        return described(name, volume.name(), operation);
    }

    /**
     * The space {@code zfs create -V} reserves for a zvol: its data plus the indirect blocks
     * that map it. Each 128 KiB indirect block holds 1,024 block pointers, so each level needs
     * a 1,024th of the one below; the dnode's own levels add a few more, and ZFS stores
     * metadata twice. (A raidz pool's parity is not counted, as on mirrors and plain disks.)
     */
    static long fullReservation(long volsize, long volblocksize) {
        long indirectBlock = 128 << 10;
        long blocks = Math.ceilDiv(volsize, volblocksize);
        long metadata = 7; // the meta-dnode's levels
        for (long level = blocks; level > 1; ) {
            level = Math.ceilDiv(level, 1024);
            metadata += level;
        }
        return volsize + metadata * 2 * indirectBlock;
    }

    /**
     * {@code lzc_destroy}. ZFS refuses a zvol that has snapshots ({@code EBUSY}) or is open;
     * the error says which: the snapshots and the clones made from them, or who holds the device.
     * A clone's origin snapshot, made by this library, goes with its last clone.
     */
    @Override
    public void deleteVolume(VolumeDefinition volume) {
        String operation = "vol-delete";
        String object = volumeObject(volume.name());
        String name = datasetOf(volume);
        long deadline = System.nanoTime() + BRIEF_HOLD.toNanos();
        while (true) {
            try {
                core().destroy(name);
                return;
            } catch (NativeCallException e) {
                if (e.errno() != Libc.EBUSY && e.errno() != Libc.EEXIST) {
                    throw ZfsErrors.map(e, Subject.VOLUME, object, operation, "zvol " + name);
                }
                Map<String, List<String>> dependents = dependents(name, e);
                // udev re-reads a zvol after a writer closes it (its inotify watch), holding it open
                // for a moment: a hold that is not snapshots or clones is waited out, briefly.
                if (!dependents.isEmpty() || System.nanoTime() - deadline > 0) {
                    throw busy(name, volume.name(), object, operation, e, dependents);
                }
            }
            pause();
        }
    }

    /** How long a hold on a zvol that names no holder is waited out before it is reported. */
    private static final Duration BRIEF_HOLD = Duration.ofSeconds(5);

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.CANCELLED, null, null, "Interrupted while waiting for a zvol.");
        }
    }

    private Map<String, List<String>> dependents(String name, NativeCallException cause) {
        try {
            return zfs.dependents(name);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            return Map.of();
        }
    }

    private StorageException busy(String name, String volumeName, String object, String operation,
                                  NativeCallException cause, Map<String, List<String>> dependents) {
        if (!dependents.isEmpty()) {
            List<String> clones = new ArrayList<>();
            dependents.forEach((snapshot, of) -> of.forEach(c -> clones.add(c + " (from " + snapshot + ")")));
            String message = clones.isEmpty()
                    ? "Volume '" + volumeName + "' has snapshots (" + String.join(", ", dependents.keySet())
                    + "); ZFS cannot destroy it until they are destroyed (zfs destroy " + name + "@...)."
                    : "Volume '" + volumeName + "' has clones that depend on it: " + String.join(", ", clones)
                    + "; delete them first, or promote them (zfs promote) to make them independent.";
            return new StorageException(ErrorCode.DEVICE_BUSY, object, operation, message, cause);
        }
        String holders = devices.find(name).map(ZfsPoolDriver::whoHolds).orElse("");
        return new StorageException(ErrorCode.DEVICE_BUSY, object, operation, "Volume '" + volumeName + "' (zvol "
                + name + ") is in use" + (holders.isEmpty() ? "" : ": " + holders) + "; close it before " + operation
                + " (" + cause.function() + ": " + cause.errnoName() + ").", cause);
    }

    /** Who has the device open: processes (from /proc), stacked devices (sysfs holders) and mounts. */
    static String whoHolds(Path device) {
        List<String> users = new ArrayList<>();
        Path real;
        try {
            real = device.toRealPath();
        } catch (IOException e) {
            return "";
        }
        Path holdersDir = Path.of("/sys/class/block", real.getFileName().toString(), "holders");
        if (Files.isDirectory(holdersDir)) {
            try (DirectoryStream<Path> holders = Files.newDirectoryStream(holdersDir)) {
                holders.forEach(h -> users.add("held by /dev/" + h.getFileName()));
            } catch (IOException e) {
                // sysfs vanished under us: report what else we find
            }
        }
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                if (opens(process, real)) {
                    String command = "";
                    try {
                        command = Files.readString(process.resolve("comm")).strip();
                    } catch (IOException e) {
                        // the process ended
                    }
                    users.add("open in process " + process.getFileName() + (command.isEmpty() ? "" : " (" + command + ")"));
                }
            }
        } catch (IOException e) {
            // no /proc: nothing more to say
        }
        return String.join(", ", users);
    }

    private static boolean opens(Path process, Path device) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).equals(device)) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | SecurityException e) {
            return false;
        }
        return false;
    }

    /**
     * {@code zfs set volsize}: libzfs_core has no call for properties. The size is rounded up
     * to the zvol's volblocksize; shrinking needs {@code allowShrink}.
     */
    @Override
    public VolumeDefinition resizeVolume(VolumeDefinition volume, long capacity, boolean allowShrink,
                                         boolean allocate) {
        String operation = "vol-resize";
        String object = volumeObject(volume.name());
        String name = datasetOf(volume);
        Zfs.Zvol zvol;
        try {
            zvol = zfs.describe(name).orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME, object,
                    operation, "ZFS has no zvol " + name + "; refresh the pool."));
        } catch (NativeCallException e) {
            throw ZfsErrors.map(e, Subject.VOLUME, object, operation, "zvol " + name);
        }
        long blockSize = zvol.volblocksize() > 0 ? zvol.volblocksize() : DEFAULT_VOLBLOCKSIZE;
        long size = roundUp(capacity, blockSize);
        if (size == zvol.volsize()) {
            return described(name, volume.name(), operation);
        }
        if (size < zvol.volsize() && !allowShrink) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "Resizing volume '"
                    + volume.name() + "' from " + zvol.volsize() + " to " + size
                    + " bytes would shrink it and lose data; allow shrinking to do that.");
        }
        zfsCommand(List.of("set", "volsize=" + size, name), object, operation, "set the volsize of zvol " + name);
        return described(name, volume.name(), operation);
    }

    /** A snapshot {@code VOLUME@NAME} and a clone of it named {@code NAME}: a writable, instant point-in-time copy. */
    @Override
    public VolumeDefinition snapshotVolume(VolumeDefinition volume, String snapshotName) {
        String operation = "vol-snapshot";
        String object = volumeObject(snapshotName);
        String source = datasetOf(volume);
        String target = ZfsNames.child(dataset, snapshotName, "volume", object, operation);
        cloneOf(source, target, snapshotName, object, operation);
        return described(target, snapshotName, operation);
    }

    /**
     * Within one ZFS pool: snapshot and {@code lzc_clone}, instant and taking no space (the
     * clone shares every block, and names the snapshot as its backing store). From anywhere
     * else: a new zvol filled through its block device, destroyed again if the copy fails.
     */
    @Override
    public VolumeDefinition createVolumeFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        String operation = "vol-create-from";
        String object = volumeObject(volume.name());
        Optional<String> sourceDataset = source.poolType() == PoolType.ZFS ? source.definition().key() : Optional.empty();
        if (sourceDataset.isPresent() && ZfsNames.poolOf(sourceDataset.get()).equals(pool)) {
            String target = ZfsNames.child(dataset, volume.name(), "volume", object, operation);
            long sourceSize = source.definition().capacity();
            if (volume.capacity() < sourceSize) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "A clone of '"
                        + source.definition().name() + "' cannot be smaller than it (" + volume.capacity() + " < "
                        + sourceSize + " bytes).");
            }
            cloneOf(sourceDataset.get(), target, volume.name(), object, operation);
            if (volume.capacity() > sourceSize) {
                zfsCommand(List.of("set", "volsize=" + roundUp(volume.capacity(), SIZE_GRANULE), target), object,
                        operation, "grow clone " + target);
            }
            progress.progress(volume.capacity(), volume.capacity());
            return described(target, volume.name(), operation);
        }
        VolumeDefinition created = createVolume(volume);
        String name = datasetOf(created);
        try {
            Path device = devices.await(name, DEVICE_TIMEOUT, object, operation);
            BlockVolumes.fill(created.toBuilder().path(device).build(), source, progress,
                    new IoContext(object, operation));
        } catch (RuntimeException e) {
            destroyAfterFailure(name, e);
            throw e;
        }
        return described(name, volume.name(), operation);
    }

    /**
     * {@code SOURCE@NAME}, then {@code lzc_clone} to {@code target}, then the snapshot marked for
     * deferred destruction: ZFS keeps it while the clone needs it and destroys it with the
     * clone. A failed clone destroys the snapshot again.
     */
    private void cloneOf(String source, String target, String name, String object, String operation) {
        String snapshot = ZfsNames.snapshot(source, name, object, operation);
        try {
            core().snapshot(List.of(snapshot));
        } catch (NativeCallException e) {
            throw ZfsErrors.map(e, Subject.VOLUME, object, operation, "snapshot " + snapshot);
        }
        try {
            core().clone(target, snapshot, Map.of());
        } catch (NativeCallException e) {
            StorageException failure = ZfsErrors.map(e, Subject.VOLUME, object, operation, "zvol " + target);
            try {
                core().destroySnapshots(List.of(snapshot), false);
            } catch (RuntimeException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
        try {
            core().destroySnapshots(List.of(snapshot), true);
        } catch (NativeCallException e) {
            // Harmless: the snapshot stays until someone destroys it; the clone is made.
            LOG.log(System.Logger.Level.WARNING, "cannot mark {0} for deferred destruction: {1}", snapshot,
                    e.getMessage());
        }
    }

    private void destroyAfterFailure(String name, Exception failure) {
        // udev or the kernel may still hold the new device for a moment after the copy stopped.
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                core().destroy(name);
                return;
            } catch (NativeCallException e) {
                if (e.errno() != Libc.EBUSY || attempt == 49) {
                    failure.addSuppressed(e);
                    return;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // keep trying briefly: leaving the zvol behind is worse
            }
        }
    }

    @Override
    public void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        BlockVolumes.wipe(onDevice(volume, "vol-wipe"), algorithm, progress,
                new IoContext(volumeObject(volume.name()), "vol-wipe"));
    }

    @Override
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        return BlockVolumes.openRead(onDevice(volume, "vol-download"), offset, length,
                new IoContext(volumeObject(volume.name()), "vol-download"));
    }

    @Override
    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        return BlockVolumes.openWrite(onDevice(volume, "vol-upload"), offset, length,
                new IoContext(volumeObject(volume.name()), "vol-upload"));
    }

    /** The volume with its path set to the zvol's device as it is now (waiting for a new zvol's to appear). */
    private VolumeDefinition onDevice(VolumeDefinition volume, String operation) {
        Path device = devices.await(datasetOf(volume), DEVICE_TIMEOUT, volumeObject(volume.name()), operation);
        return volume.toBuilder().path(device).build();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private String datasetOf(VolumeDefinition volume) {
        return volume.key().orElse(dataset + "/" + volume.name());
    }

    private boolean exists(String name, String operation) {
        try {
            return core().exists(name);
        } catch (NativeCallException e) {
            throw ZfsErrors.map(e, Subject.POOL, poolObject(), operation, "dataset " + name);
        } catch (LibraryUnavailableException e) {
            throw ZfsErrors.unavailable(e, poolObject(), operation);
        }
    }

    static long roundUp(long value, long granule) {
        return Math.ceilDiv(value, granule) * granule;
    }

    private CommandResult zpool(List<String> args, String object, String operation, String what) {
        try {
            return zfs.commands().zpool(args).requireSuccess();
        } catch (CommandException e) {
            throw ZfsErrors.map(e, object, operation, what);
        }
    }

    private CommandResult zfsCommand(List<String> args, String object, String operation, String what) {
        try {
            return zfs.commands().zfs(args).requireSuccess();
        } catch (CommandException e) {
            throw ZfsErrors.map(e, object, operation, what);
        }
    }
}
