package org.libstorage.backends.disk;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.PoolState;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.backends.blockio.DeviceGuard;
import org.libstorage.backends.blockio.DeviceGuard.BlockDevice;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Fdisk;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.spi.SizeArithmetic;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;

/**
 * A {@code disk} pool: the partitions of one device's gpt or dos table are its volumes, named
 * as the kernel names them ({@code loop3p1}, {@code sda2}), keyed by partition UUID where the
 * table has one. Every change goes through libfdisk, which tells the kernel partition by
 * partition (BLKPG), so {@code /dev/loop3p2} appears and vanishes while siblings stay mounted.
 */
final class DiskPoolDriver implements PoolDriver {
    /** How long to wait for devtmpfs to show or drop a partition node after BLKPG. */
    private static final long NODE_WAIT_MILLIS = 5_000;

    private final PoolDefinition definition;
    private final Path device;
    private final Fdisk fdisk = Fdisk.instance();
    private final Libc libc = Libc.instance();
    private final org.libstorage.spi.Jobs jobs;

    DiskPoolDriver(PoolDefinition definition) {
        this(definition, org.libstorage.spi.Jobs.NONE);
    }

    DiskPoolDriver(PoolDefinition definition, org.libstorage.spi.Jobs jobs) {
        this.jobs = jobs;
        this.definition = definition;
        this.device = definition.source().devices().getFirst().path();
    }

    @Override
    public PoolDefinition definition() {
        return definition;
    }

    private String object() {
        return "pool '" + definition.name() + "'";
    }

    private Optional<String> format() {
        return definition.source().format().filter(f -> !f.equals("unknown"));
    }

    /**
     * Writes a new, empty partition table of the defined type (libvirt's default, dos, when none
     * is defined). {@link DeviceGuard} refuses a device in use, and one holding any signature
     * (a table, a filesystem) unless {@code OVERWRITE}, which erases them first.
     */
    @Override
    public void build(BuildMode mode) {
        String operation = "pool-build";
        String label = format().orElse(DiskBackend.DEFAULT_LABEL);
        requirePartitionable(DeviceGuard.requireBlockDevice(device, object(), operation), operation);
        DeviceGuard.prepareForBuild(device, mode, object(), operation);
        try {
            fdisk.createLabel(device, label);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(object(), operation, "write a " + label + " partition table on " + device, e);
        }
    }

    /**
     * Checks the device holds a partition table of the defined type, and makes sure the kernel
     * has a node for each partition (kernels without a table's parser create none on their own).
     */
    @Override
    public void start() {
        String operation = "pool-start";
        BlockDevice block = DeviceGuard.requireBlockDevice(device, object(), operation);
        requirePartitionable(block, operation);
        Fdisk.Label label = requireLabel(operation);
        List<Fdisk.Partition> missing = label.partitions().stream()
                .filter(p -> !p.container() && !Files.exists(partitionPath(block, p.number()))).toList();
        if (missing.isEmpty()) {
            return;
        }
        try (Fd disk = libc.open(device, Libc.O_RDONLY | Libc.O_CLOEXEC, 0)) {
            for (Fdisk.Partition p : missing) {
                libc.addPartition(disk, p.number(), p.startBytes(), p.sizeBytes());
            }
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(object(), operation, "add the partition nodes of " + device, e);
        }
    }

    /**
     * Refuses, before anything is written, a device whose partitions the kernel will never show:
     * a loop device attached without partition scanning takes neither a re-read of its table nor
     * BLKPG, so a table written there would describe partitions no one can open, with sizes the
     * kernel does not have.
     */
    private void requirePartitionable(BlockDevice block, String operation) {
        Path partscan = Path.of("/sys/class/block", block.kernelName(), "loop", "partscan");
        String value;
        try {
            value = Files.readString(partscan).strip();
        } catch (java.io.IOException e) {
            return; // not a loop device (or an old kernel): the kernel's partition support applies
        }
        if (value.equals("0")) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, object(), operation, "The loop device " + device
                    + " was attached without partition scanning, so the kernel cannot show partitions on it; detach it"
                    + " and attach it again with partition scanning (losetup --partscan) before using it for pool '"
                    + definition.name() + "'. Nothing was written.");
        }
    }

    private Fdisk.Label requireLabel(String operation) {
        Optional<Fdisk.Label> label;
        try {
            label = fdisk.readLabel(device);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(object(), operation, "read the partition table of " + device, e);
        }
        if (label.isEmpty()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation, "The device " + device
                    + " of pool '" + definition.name() + "' holds no partition table libfdisk can read; build the pool"
                    + " (with overwrite if it holds other data).");
        }
        if (label.get().type().equals("dos") && label.get().partitions().stream().anyMatch(p -> p.typeCode() == 0xee)) {
            // libfdisk falls back to the protective MBR only when neither GPT header is valid.
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation, "The GPT on " + device
                    + " is corrupt: both GPT headers are unreadable and only the protective MBR is left; rebuild pool '"
                    + definition.name() + "' with overwrite (its partitions are lost) or repair the table.");
        }
        if (format().isPresent() && !format().get().equals(label.get().type())) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object(), operation, "The device " + device
                    + " holds a " + label.get().type() + " partition table, but pool '" + definition.name()
                    + "' is defined as " + format().get() + ".");
        }
        return label.get();
    }

    @Override
    public void stop() {
        // Nothing to undo: a partition table needs no activation.
    }

    /** Active while the device is there and holds a partition table. */
    @Override
    public boolean isActive() {
        try {
            DeviceGuard.requireBlockDevice(device, object(), "pool-info");
            return fdisk.readLabel(device).isPresent();
        } catch (StorageException | NativeCallException e) {
            return false;
        }
    }

    /**
     * The partitions as volumes and the space: capacity is the device, allocation what the
     * partitions take, available the sum of the free extents libfdisk reports (aligned).
     */
    @Override
    public PoolContents refresh() {
        String operation = "pool-refresh";
        BlockDevice block = DeviceGuard.requireBlockDevice(device, object(), operation);
        Fdisk.Label label = requireLabel(operation);
        long capacity = deviceSize(operation);
        List<VolumeDefinition> volumes = new ArrayList<>();
        long allocation = 0;
        for (Fdisk.Partition p : label.partitions()) {
            if (!p.container()) {
                volumes.add(volume(block, label, p));
                allocation += p.sizeBytes();
            }
        }
        long available = label.freeSpaces().stream().mapToLong(Fdisk.FreeSpace::sizeBytes).sum();
        return new PoolContents(new PoolInfo(PoolState.RUNNING, capacity, allocation, available), volumes,
                Optional.of(sourceWithFreeExtents(label)));
    }

    /** The volume's partition as the table holds it now, or empty when it was deleted (by us or another tool). */
    @Override
    public Optional<VolumeDefinition> describeVolume(VolumeDefinition volume) {
        String operation = "vol-info";
        BlockDevice block = DeviceGuard.requireBlockDevice(device, object(), operation);
        int number = requestedNumber(block, volume.name());
        Fdisk.Label label = requireLabel(operation);
        return label.partitions().stream().filter(p -> p.number() == number && !p.container()).findFirst()
                .map(p -> volume(block, label, p));
    }

    /** The free extents of the source device, as a disk pool's {@code <source><device>} lists them. */
    List<PoolSource.Extent> freeExtents() {
        return freeExtents(requireLabel("pool-refresh"));
    }

    private static List<PoolSource.Extent> freeExtents(Fdisk.Label label) {
        return label.freeSpaces().stream().map(f -> new PoolSource.Extent(f.startBytes(), f.endBytes())).toList();
    }

    /** The definition's source with the device's free extents filled in, for the active pool's XML. */
    private PoolSource sourceWithFreeExtents(Fdisk.Label label) {
        PoolSource defined = definition().source();
        List<PoolSource.Extent> free = freeExtents(label);
        return defined.withDevices(defined.devices().stream()
                .map(d -> new PoolSource.Device(d.path(), d.partSeparator(), free)).toList());
    }

    private long deviceSize(String operation) {
        try (Fd fd = libc.open(device, Libc.O_RDONLY | Libc.O_CLOEXEC, 0)) {
            return libc.blockDeviceSize(fd);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(object(), operation, "read the size of " + device, e);
        }
    }

    private VolumeDefinition volume(BlockDevice block, Fdisk.Label label, Fdisk.Partition p) {
        Path path = partitionPath(block, p.number());
        String format = PartitionTypes.formatOf(label.type(), p.typeString(), p.typeCode(), p.container());
        return VolumeDefinition.builder(path.getFileName().toString(), p.sizeBytes())
                .type(VolumeType.BLOCK)
                .key(p.uuid().map(u -> u.toLowerCase(java.util.Locale.ROOT)).orElse(path.toString()))
                .allocation(p.sizeBytes())
                .physical(p.sizeBytes())
                .path(path)
                .format(new VolumeFormat(format))
                .extents(new VolumeDefinition.SourceExtents(device,
                        List.of(new PoolSource.Extent(p.startBytes(), p.endBytes()))))
                .build();
    }

    /** {@code loop3} → {@code /dev/loop3p1}; {@code sda} → {@code /dev/sda1}. */
    private static Path partitionPath(BlockDevice block, int number) {
        String disk = block.kernelName();
        String separator = Character.isDigit(disk.charAt(disk.length() - 1)) ? "p" : "";
        return Path.of("/dev", disk + separator + number);
    }

    /**
     * Adds a partition of the volume's capacity and format ({@code linux} by default) at the
     * first free aligned place. A name of this device's partition form ({@code loop3p2}) asks
     * for that number; any other name gets the first free number, and the returned volume
     * carries the kernel's name. A capacity larger than the largest free extent is refused with
     * {@code NO_SPACE} before anything is written.
     */
    @Override
    public VolumeDefinition createVolume(VolumeDefinition volume) {
        String operation = "vol-create";
        String volumeObject = "volume '" + volume.name() + "' in pool '" + definition.name() + "'";
        BlockDevice block = DeviceGuard.requireBlockDevice(device, object(), operation);
        requirePartitionable(block, operation);
        Fdisk.Label label = requireLabel(operation);
        String format = volume.format().map(VolumeFormat::name).orElse(PartitionTypes.DEFAULT);
        String type = PartitionTypes.forLabel(label.type(), format).orElseThrow(() -> new StorageException(
                ErrorCode.INVALID_ARGUMENT, volumeObject, operation, "A disk pool cannot create a partition of format '"
                        + format + "'; use one of " + PartitionTypes.creatable() + "."));
        if (volume.capacity() <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, volumeObject, operation,
                    "A partition needs a positive capacity, not " + volume.capacity() + " bytes.");
        }
        long wanted = SizeArithmetic.roundUp(volume.capacity(), label.sectorSize(), volumeObject, operation);
        long largest = label.freeSpaces().stream().mapToLong(Fdisk.FreeSpace::sizeBytes).max().orElse(0);
        if (wanted > largest) {
            throw new StorageException(ErrorCode.NO_SPACE, volumeObject, operation, "A partition of " + wanted
                    + " bytes does not fit on " + device + ": its largest free extent holds " + largest + " bytes.");
        }
        int number = requestedNumber(block, volume.name());
        if (number > 0 && label.partitions().stream().anyMatch(p -> p.number() == number)) {
            throw new StorageException(ErrorCode.VOLUME_EXISTS, volumeObject, operation,
                    "Partition " + number + " of " + device + " exists already.");
        }
        Fdisk.Partition added;
        try {
            added = fdisk.addPartition(device, wanted, type, number);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(volumeObject, operation, "add a partition of " + wanted + " bytes to " + device, e);
        }
        Path path = partitionPath(block, added.number());
        awaitNode(path, true, volumeObject, operation);
        return volume(block, fdisk.readLabel(device).orElse(label), added);
    }

    private static int requestedNumber(BlockDevice block, String name) {
        Matcher m = Pattern.compile(Pattern.quote(block.kernelName()) + "p?(\\d{1,3})").matcher(name);
        return m.matches() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** Deletes the volume's partition; one that is mounted or held is refused with {@code DEVICE_BUSY}. */
    @Override
    public void deleteVolume(VolumeDefinition volume) {
        String operation = "vol-delete";
        String volumeObject = "volume '" + volume.name() + "' in pool '" + definition.name() + "'";
        BlockDevice block = DeviceGuard.requireBlockDevice(device, object(), operation);
        int number = requestedNumber(block, volume.name());
        if (number == 0) {
            throw new StorageException(ErrorCode.NO_SUCH_VOLUME, volumeObject, operation,
                    "'" + volume.name() + "' is not the name of a partition of " + device + ".");
        }
        Path path = partitionPath(block, number);
        if (Files.exists(path)) {
            DeviceGuard.requireUnused(DeviceGuard.requireBlockDevice(path, volumeObject, operation), volumeObject, operation);
        }
        try {
            fdisk.deletePartition(device, number);
        } catch (NativeCallException e) {
            throw DeviceGuard.nativeFailure(volumeObject, operation, "delete partition " + number + " of " + device, e);
        }
        awaitNode(path, false, volumeObject, operation);
    }

    @Override
    public java.nio.channels.ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        return new PartitionIo(volumeObject(volume), "vol-download").openRead(volume, offset, length);
    }

    @Override
    public java.nio.channels.WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        return new PartitionIo(volumeObject(volume), "vol-upload").openWrite(volume, offset, length);
    }

    @Override
    public void wipeVolume(VolumeDefinition volume, org.libstorage.WipeAlgorithm algorithm,
                           org.libstorage.ProgressListener progress) {
        new PartitionIo(volumeObject(volume), "vol-wipe").wipe(volume, algorithm,
                progress == null ? org.libstorage.ProgressListener.NONE : progress);
    }

    /**
     * A new partition (at least as large as the source) holding a copy of {@code source}'s
     * bytes. On failure or interrupt the partition is deleted again, so nothing is left.
     */
    @Override
    public VolumeDefinition createVolumeFrom(VolumeDefinition volume, org.libstorage.spi.VolumeSource source,
                                             org.libstorage.ProgressListener progress) {
        String operation = "vol-create-from";
        org.libstorage.ProgressListener listener = progress == null ? org.libstorage.ProgressListener.NONE : progress;
        long size = source.definition().capacity();
        VolumeDefinition wanted = volume.capacity() >= size ? volume : resized(volume, size);
        // The copy runs outside the pool's lock; the partition table is changed under it, and the
        // new partition (named by the kernel) is marked as building until the copy commits.
        VolumeDefinition created = jobs.locked(() -> {
            VolumeDefinition made = createVolume(wanted);
            jobs.building(made.name());
            return made;
        });
        jobs.reached("partition-created");
        return jobs.fillOrUndo(() -> {
            new PartitionIo(volumeObject(created), operation).fill(created, source, listener);
            return created;
        }, () -> deleteVolume(created));
    }

    private static VolumeDefinition resized(VolumeDefinition volume, long capacity) {
        VolumeDefinition.Builder b = VolumeDefinition.builder(volume.name(), capacity).target(volume.target());
        volume.type().ifPresent(b::type);
        return b.build();
    }

    private String volumeObject(VolumeDefinition volume) {
        return "volume '" + volume.name() + "' in pool '" + definition.name() + "'";
    }

    /** devtmpfs adds and removes nodes as the kernel adds and removes partitions; wait for it briefly. */
    private static void awaitNode(Path path, boolean present, String object, String operation) {
        long deadline = System.nanoTime() + NODE_WAIT_MILLIS * 1_000_000;
        while (Files.exists(path) != present) {
            if (System.nanoTime() > deadline) {
                throw new StorageException(ErrorCode.TIMEOUT, object, operation, "The partition table was written, but "
                        + path + (present ? " did not appear" : " did not vanish") + " within " + NODE_WAIT_MILLIS + " ms.");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException(ErrorCode.CANCELLED, object, operation,
                        "Interrupted while waiting for " + path + ".", e);
            }
        }
    }

}
