package org.libstorage.internal;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolInfo;
import org.libstorage.ProgressListener;
import org.libstorage.ResizeOption;
import org.libstorage.StorageEvent;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeInfo;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.spi.PoolDriver;
import org.libstorage.xml.VolumeXml;

/**
 * A handle on a volume, naming it by pool, name and key. Operations re-check under the pool's
 * lock that the pool is active and the volume still there (same name and key) as of the last
 * refresh; otherwise {@link ErrorCode#NO_SUCH_VOLUME}.
 */
final class VolumeHandle implements Volume {
    private final PoolHandle pool;
    private final VolumeDefinition atLookup;
    private final String object;

    VolumeHandle(PoolHandle pool, VolumeDefinition atLookup) {
        this.pool = pool;
        this.atLookup = atLookup;
        this.object = Failures.volume(atLookup.name(), pool.name());
    }

    PoolHandle poolHandle() {
        return pool;
    }

    VolumeDefinition definitionAtLookup() {
        return atLookup;
    }

    @Override
    public String name() {
        return atLookup.name();
    }

    @Override
    public String key() {
        return atLookup.key().orElseGet(() -> path().toString());
    }

    @Override
    public Path path() {
        return atLookup.path().orElseThrow(() -> new StorageException(ErrorCode.INTERNAL_ERROR, object, "vol-path",
                "The backend of pool '" + pool.name() + "' reported volume '" + name() + "' without a path."));
    }

    @Override
    public Pool pool() {
        return pool;
    }

    @Override
    public VolumeInfo info() {
        return infoOf(current("vol-info"));
    }

    static VolumeInfo infoOf(VolumeDefinition volume) {
        return new VolumeInfo(volume.type().orElse(VolumeType.FILE), volume.capacity(),
                volume.allocation().orElse(0));
    }

    @Override
    public VolumeDefinition definition() {
        return current("vol-dumpxml");
    }

    /** The volume re-read by its driver, so sizes are current; updates the pool's cached view. */
    private VolumeDefinition current(String operation) {
        return pool.withVolume(this, operation, c -> {
            PoolDriver driver = c.driver();
            Optional<VolumeDefinition> now = Failures.driverCall(object, operation,
                    () -> driver.describeVolume(c.volume()));
            if (now == null || now.isEmpty()) {
                c.runtime().removeVolume(name());
                throw new StorageException(ErrorCode.NO_SUCH_VOLUME, object, operation,
                        "Volume '" + name() + "' no longer exists in pool '" + pool.name() + "'.");
            }
            c.runtime().putVolume(now.get());
            return now.get();
        });
    }

    @Override
    public String toXml() {
        return VolumeXml.write(definition(), pool.type());
    }

    @Override
    public void delete() {
        String operation = "vol-delete";
        pool.withVolume(this, operation, c -> {
            c.requireFree(Claims.Use.WRITE);
            PoolDriver driver = c.driver();
            Failures.driverRun(object, operation, () -> driver.deleteVolume(c.volume()));
            c.runtime().removeVolume(name());
            c.changed();
            pool.volumeEvent(StorageEvent.VolumeEvent.Kind.DELETED, c.volume(), null);
            return null;
        });
    }

    @Override
    public void resize(long capacity, ResizeOption... options) {
        String operation = "vol-resize";
        if (capacity <= 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The new capacity of volume '" + name() + "' must be positive, not " + capacity + " bytes.");
        }
        EnumSet<ResizeOption> set = EnumSet.noneOf(ResizeOption.class);
        for (ResizeOption option : options == null ? new ResizeOption[0] : options) {
            set.add(Objects.requireNonNull(option, "resize option"));
        }
        boolean allowShrink = set.contains(ResizeOption.ALLOW_SHRINK);
        boolean allocate = set.contains(ResizeOption.ALLOCATE);
        pool.withVolume(this, operation, c -> {
            c.requireFree(Claims.Use.WRITE);
            if (capacity < c.volume().capacity() && !allowShrink) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                        "The new capacity " + capacity + " of volume '" + name() + "' is below its current capacity "
                                + c.volume().capacity() + "; allow shrinking (ResizeOption.ALLOW_SHRINK) to lose the data past " + capacity + " bytes.");
            }
            PoolDriver driver = c.driver();
            VolumeDefinition resized = Failures.driverCall(object, operation,
                    () -> driver.resizeVolume(c.volume(), capacity, allowShrink, allocate));
            if (resized != null) {
                c.runtime().putVolume(resized);
            } else {
                c.runtime().clearContents(); // The next look refreshes instead of guessing.
            }
            c.changed();
            pool.volumeEvent(StorageEvent.VolumeEvent.Kind.RESIZED, resized != null ? resized : c.volume(), null);
            return null;
        });
    }

    @Override
    public void wipe(WipeAlgorithm algorithm, ProgressListener progress) {
        String operation = "vol-wipe";
        if (algorithm == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "No wipe algorithm was given.");
        }
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        pool.volumeJob(this, operation, Claims.Use.WRITE, listener, (driver, volume, tracked) -> {
            Failures.driverRun(object, operation, () -> driver.wipeVolume(volume, algorithm, tracked));
            pool.volumeEvent(StorageEvent.VolumeEvent.Kind.WIPED, volume, null);
        });
    }

    @Override
    public Volume snapshot(String snapshotName) {
        String operation = "vol-snapshot";
        DefaultStorage.validName("snapshot name", snapshotName, operation);
        String snapshotObject = Failures.volume(snapshotName, pool.name());
        return pool.withVolume(this, operation, c -> {
            c.requireFree(Claims.Use.READ);
            c.requireFreeName(snapshotName);
            if (c.runtime().volume(snapshotName).isPresent()) {
                throw new StorageException(ErrorCode.VOLUME_EXISTS, snapshotObject, operation,
                        "Pool '" + pool.name() + "' already has a volume named '" + snapshotName + "'.");
            }
            PoolDriver driver = c.driver();
            VolumeDefinition created = Failures.driverCall(snapshotObject, operation,
                    () -> driver.snapshotVolume(c.volume(), snapshotName));
            if (created == null) {
                throw new StorageException(ErrorCode.INTERNAL_ERROR, snapshotObject, operation,
                        "The backend of pool '" + pool.name() + "' reported no volume after " + operation + ".");
            }
            c.runtime().putVolume(created);
            c.changed();
            pool.volumeEvent(StorageEvent.VolumeEvent.Kind.CREATED, created,
                    c.volume().key().or(() -> c.volume().path().map(Object::toString)).orElse(null));
            return new VolumeHandle(pool, created);
        });
    }

    @Override
    public ReadableByteChannel download(long offset, long length) {
        String operation = "vol-download";
        requireRange(offset, length, operation);
        return pool.withVolume(this, operation, c -> {
            requireWithin(c.volume(), offset, length, operation);
            PoolDriver driver = c.driver();
            Claims.Held claim = c.claim(Claims.Use.READ);
            try {
                ReadableByteChannel channel = Failures.driverCall(object, operation,
                        () -> driver.openRead(c.volume(), offset, length));
                return ClaimedChannels.readable(channel, claim);
            } catch (RuntimeException | Error e) {
                claim.close();
                throw e;
            }
        });
    }

    @Override
    public WritableByteChannel upload(long offset, long length) {
        return upload(offset, length, length);
    }

    @Override
    public WritableByteChannel upload(long offset, long length, long dataBytes) {
        String operation = "vol-upload";
        requireRange(offset, length, operation);
        if (length >= 0 && (dataBytes < 0 || dataBytes > length)) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The data bytes " + dataBytes + " of an upload of " + length + " bytes into volume '" + name()
                            + "' are not between 0 and " + length + ".");
        }
        return pool.withVolume(this, operation, c -> {
            requireWithin(c.volume(), offset, length, operation);
            if (length > 0) {
                requireRoom(c, offset, length, dataBytes, operation);
            }
            PoolDriver driver = c.driver();
            Claims.Held claim = c.claim(Claims.Use.WRITE);
            try {
                WritableByteChannel channel = Failures.driverCall(object, operation,
                        () -> driver.openWrite(c.volume(), offset, length));
                VolumeDefinition written = c.volume();
                return ClaimedChannels.writable(channel, claim,
                        () -> pool.volumeEvent(StorageEvent.VolumeEvent.Kind.UPLOADED, written, null));
            } catch (RuntimeException | Error e) {
                claim.close();
                throw e;
            }
        });
    }

    /**
     * Refuses, before a byte is written, an upload the pool has no room for: the data it brings,
     * less what the volume already holds (which the upload overwrites rather than adds to), must
     * fit the pool's free space. Volumes whose space is all allocated (LVs, partitions, LUNs,
     * preallocated files) never need more; a pool that cannot tell its space is not checked.
     */
    private void requireRoom(PoolHandle.VolumeContext c, long offset, long length, long dataBytes, String operation) {
        if (dataBytes - c.volume().allocation().orElse(0) <= 0) {
            return;
        }
        PoolInfo space = c.freshInfo();
        if (!space.spaceKnown()) {
            return;
        }
        long allocated = c.currentVolume().allocation().orElse(0);
        long needed = dataBytes - allocated;
        if (needed > space.available()) {
            throw new StorageException(ErrorCode.NO_SPACE, object, operation,
                    "Uploading " + length + " bytes (" + dataBytes + " of them data) at offset " + offset
                            + " into volume '" + name() + "' needs up to " + needed + " more bytes (it holds "
                            + allocated + "), but pool '" + pool.name() + "' has only " + space.available()
                            + " bytes free; nothing was written.");
        }
    }

    private void requireRange(long offset, long length, String operation) {
        if (offset < 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The offset " + offset + " into volume '" + name() + "' is negative.");
        }
        if (length < -1) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The length " + length + " for volume '" + name() + "' is negative (only -1, meaning"
                            + " to the end, is allowed).");
        }
    }

    private void requireWithin(VolumeDefinition volume, long offset, long length, String operation) {
        long capacity = volume.capacity();
        if (offset > capacity) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The offset " + offset + " is beyond the end of volume '" + name() + "' (capacity " + capacity
                            + " bytes).");
        }
        if (length > capacity - offset) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The range of " + length + " bytes at offset " + offset + " runs past the end of volume '"
                            + name() + "' (capacity " + capacity + " bytes).");
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof VolumeHandle that && that.pool.equals(pool) && that.name().equals(name())
                && that.atLookup.key().equals(atLookup.key());
    }

    @Override
    public int hashCode() {
        return Objects.hash(pool, name());
    }

    @Override
    public String toString() {
        return "Volume[" + name() + " in " + pool.name() + "]";
    }
}
