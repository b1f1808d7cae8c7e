package org.libstorage.spi;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.libstorage.BuildMode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.ProgressListener;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;

/**
 * Operations on one pool. The core calls most of these under the pool's lock, after validating
 * names and checking the pool's state. The calls that move data run as jobs, outside the lock
 * and so alongside other calls on the pool: {@link #createVolume} of a volume with an allocation,
 * {@link #createVolumeFrom}, {@link #wipeVolume}, and the channels {@link #openRead} and
 * {@link #openWrite} return. The core has claimed their volumes first, so no other call touches
 * those volumes (nor stops the pool) until they end; a driver must only keep its own shared
 * state safe for such concurrent calls. See {@code org.libstorage.internal}'s package
 * documentation for the whole contract. Volumes are passed as the {@link VolumeDefinition} the
 * last refresh reported. An operation a pool type cannot do keeps the default, which throws
 * {@code OPERATION_UNSUPPORTED}.
 */
public interface PoolDriver {
    PoolDefinition definition();

    default void build(BuildMode mode) {
        throw Unsupported.operation(definition(), "pool-build");
    }

    void start();

    void stop();

    /** Whether the pool is active on the system now (mounted, logged in, directory present, ...). */
    boolean isActive();

    default void delete() {
        throw Unsupported.operation(definition(), "pool-delete");
    }

    /**
     * Scans the pool: its space and every volume, fully described (key, path, sizes, format).
     * Never lists a temporary ({@link Job#isTemporary}); removes the temporaries whose job is not
     * running ({@link Jobs#isRunning}, from {@link BackendContext#jobs()}).
     */
    PoolContents refresh();

    /**
     * The pool's space (capacity, allocation, available) alone, without listing its volumes, for
     * a pool listing or status when no current refresh is at hand; empty (the default) when only
     * a refresh can tell, which the core then runs (and keeps). A file pool answers with one
     * {@code statvfs} however many volumes it holds.
     */
    default java.util.Optional<PoolInfo> space() {
        return java.util.Optional.empty();
    }

    /**
     * How this driver keeps a new volume out of sight while a job fills it. True (the default):
     * it makes the volume under its own name (an LV, a partition, a zvol cannot be renamed into
     * place atomically); the core then hides that name from listings while the job runs and, if
     * the job's process dies, deletes the volume by that name at the next operation. False: it
     * fills {@link Job#temporaryName()} and renames that to the volume's name only when complete
     * (a file pool), and its refresh removes the temporaries of jobs that died.
     */
    default boolean fillsInPlace() {
        return true;
    }

    /**
     * Whether {@link #createVolume} itself refuses a name that is taken (any entry by that name,
     * listed or not) with {@code VOLUME_EXISTS}. True lets the core create a volume without
     * listing the pool first when it holds no current listing (a command's first call); false
     * (the default) makes it refresh and check the listing.
     */
    default boolean refusesTakenNames() {
        return false;
    }

    /**
     * The volume as it is now, re-read from the system (for a file, one stat), or empty when it
     * has vanished. {@code Volume.info()} and {@code definition()} call this, so that sizes
     * after an upload or a resize by another tool are current, as with libvirt's vol-info. The
     * default trusts the last refresh.
     */
    default java.util.Optional<VolumeDefinition> describeVolume(VolumeDefinition volume) {
        return java.util.Optional.of(volume);
    }

    default VolumeDefinition createVolume(VolumeDefinition volume) {
        throw Unsupported.operation(definition(), "vol-create");
    }

    /** Creates {@code volume} holding a copy of {@code source}; on failure or interrupt leaves nothing. */
    default VolumeDefinition createVolumeFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        throw Unsupported.operation(definition(), "vol-create-from");
    }

    default void deleteVolume(VolumeDefinition volume) {
        throw Unsupported.operation(definition(), "vol-delete");
    }

    default VolumeDefinition resizeVolume(VolumeDefinition volume, long capacity, boolean allowShrink, boolean allocate) {
        throw Unsupported.operation(definition(), "vol-resize");
    }

    default void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        throw Unsupported.operation(definition(), "vol-wipe");
    }

    default VolumeDefinition snapshotVolume(VolumeDefinition volume, String snapshotName) {
        throw Unsupported.operation(definition(), "vol-snapshot");
    }

    default ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        throw Unsupported.operation(definition(), "vol-download");
    }

    default WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        throw Unsupported.operation(definition(), "vol-upload");
    }
}
