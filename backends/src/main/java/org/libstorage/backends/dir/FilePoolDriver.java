package org.libstorage.backends.dir;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.ProgressListener;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.spi.Jobs;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/**
 * A driver for a pool whose volumes are the files of one directory: every volume operation and
 * the refresh go to {@link FileVolumes} over {@link #volumeDirectory()}. Subclasses say how the
 * directory comes to be (build/start/stop/delete): {@code dir} makes and removes it, {@code fs}
 * mounts a filesystem there. Public for those packages; this package is not exported.
 */
public abstract class FilePoolDriver implements PoolDriver {
    private final PoolDefinition definition;
    private final FileVolumes volumes;

    /**
     * @param directory where the volumes are: a dir pool's target, an fs pool's mount point
     * @param jobs      the pool's jobs, which name new volumes' temporaries
     */
    protected FilePoolDriver(PoolDefinition definition, Path directory, CommandRunner runner, Jobs jobs) {
        this.definition = Objects.requireNonNull(definition, "definition");
        this.volumes = new FileVolumes(definition, directory, runner, jobs);
    }

    @Override
    public final PoolDefinition definition() {
        return definition;
    }

    protected final FileVolumes volumes() {
        return volumes;
    }

    protected final Path volumeDirectory() {
        return volumes.directory();
    }

    /** New volumes are filled under a temporary name and renamed into place ({@link FileVolumes}). */
    @Override
    public boolean fillsInPlace() {
        return false;
    }

    /** A taken name is refused before anything is made, and the rename into place never replaces. */
    @Override
    public boolean refusesTakenNames() {
        return true;
    }

    @Override
    public PoolContents refresh() {
        return volumes.refresh();
    }

    /** One {@code statvfs} of the volume directory: a listing of the pools need not list their volumes. */
    @Override
    public Optional<PoolInfo> space() {
        return Optional.of(volumes.space("pool-info"));
    }

    @Override
    public Optional<VolumeDefinition> describeVolume(VolumeDefinition volume) {
        return volumes.describe(volume.name());
    }

    @Override
    public VolumeDefinition createVolume(VolumeDefinition volume) {
        return volumes.create(volume);
    }

    @Override
    public VolumeDefinition createVolumeFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        return volumes.createFrom(volume, source, progress == null ? ProgressListener.NONE : progress);
    }

    @Override
    public void deleteVolume(VolumeDefinition volume) {
        volumes.delete(volume);
    }

    @Override
    public VolumeDefinition resizeVolume(VolumeDefinition volume, long capacity, boolean allowShrink, boolean allocate) {
        return volumes.resize(volume, capacity, allowShrink, allocate);
    }

    @Override
    public void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        volumes.wipe(volume, algorithm, progress == null ? ProgressListener.NONE : progress);
    }

    @Override
    public VolumeDefinition snapshotVolume(VolumeDefinition volume, String snapshotName) {
        return volumes.snapshot(volume, snapshotName);
    }

    @Override
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        return volumes.openRead(volume, offset, length);
    }

    @Override
    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        return volumes.openWrite(volume, offset, length);
    }
}
