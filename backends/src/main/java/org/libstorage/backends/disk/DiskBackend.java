package org.libstorage.backends.disk;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.HostDevice;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.backends.hostdevices.HostDevices;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.Fdisk;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/**
 * The {@code disk} pool type: a partition table on a block device, whose partitions are the
 * volumes. Reads and writes tables through libfdisk; no parted, no sfdisk processes.
 */
@PoolBackend.Serves(PoolType.DISK)
public final class DiskBackend implements PoolBackend {
    /** The label types build can write, as libvirt names them in {@code <source><format type=..>}. */
    static final Set<String> LABELS = Set.of("gpt", "dos");
    /** libvirt builds a dos label when the definition names none. */
    static final String DEFAULT_LABEL = "dos";

    @Override
    public PoolType type() {
        return PoolType.DISK;
    }

    @Override
    public BackendStatus status() {
        if (!Fdisk.instance().isAvailable()) {
            return BackendStatus.unavailable(PoolType.DISK, Fdisk.instance().unavailableReason().orElse("libfdisk is missing"));
        }
        if (!Blkid.instance().isAvailable()) {
            return BackendStatus.unavailable(PoolType.DISK, Blkid.instance().unavailableReason().orElse("libblkid is missing"));
        }
        return BackendStatus.available(PoolType.DISK);
    }

    /**
     * A disk pool needs exactly one absolute source device; its format is {@code gpt} or
     * {@code dos} ({@code msdos} is read as {@code dos}, {@code unknown} means "whatever is there").
     */
    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        String object = "pool '" + definition.name() + "'";
        String operation = "pool-define";
        List<PoolSource.Device> devices = definition.source().devices();
        if (devices.size() != 1) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "Pool '" + definition.name()
                    + "' of type disk needs exactly one source device (<source><device path=..>), not " + devices.size() + ".");
        }
        Path device = devices.getFirst().path();
        if (!device.isAbsolute()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation,
                    "The source device '" + device + "' of pool '" + definition.name() + "' must be an absolute path.");
        }
        Optional<String> format = definition.source().format();
        if (format.isPresent() && !LABELS.contains(format.get()) && !format.get().equals("unknown")
                && !format.get().equals("msdos")) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "The format '" + format.get()
                    + "' of pool '" + definition.name() + "' is not a partition table type libstorage writes (gpt, dos).");
        }
        if (format.filter("msdos"::equals).isPresent()) {
            return definition.toBuilder().source(definition.source().toBuilder().format("dos").build()).build();
        }
        return definition;
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        return new DiskPoolDriver(validate(definition), context.jobs());
    }

    /** Every whole host device holding a partition table, with the table type as the source format. */
    @Override
    public List<PoolSource> findPoolSources(Optional<PoolSource> hint) {
        List<PoolSource> sources = new ArrayList<>();
        for (HostDevice device : new HostDevices().hostDevices()) {
            if (device.kind() != HostDevice.Kind.PARTITION && device.probe().partitionTableType().isPresent()) {
                sources.add(PoolSource.builder().device(device.path())
                        .format(device.probe().partitionTableType().get()).build());
            }
        }
        return List.copyOf(sources);
    }
}
