package org.libstorage;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A defined pool: a handle that stays valid while the pool is defined. Every method reads or
 * changes the system under the pool's lock (held across processes).
 */
public interface Pool {
    String name();

    UUID uuid();

    PoolType type();

    PoolDefinition definition();

    /** libvirt pool XML, with current capacity/allocation/available when active. */
    String toXml();

    boolean isActive();

    boolean isAutostart();

    void setAutostart(boolean autostart);

    PoolInfo info();

    /**
     * The pool's definition, whether it is active, whether it autostarts, and its space, in one
     * look (what a listing needs). Never waits for a clone, wipe or upload running on the pool.
     */
    PoolStatus status();

    /** Prepares the source: makes the directory, filesystem, label, volume group. */
    void build(BuildMode mode);

    /** Activates the pool (mounts, logs in, ...) and refreshes it. */
    void start();

    /** Deactivates the pool; its volumes stay where they are. */
    void stop();

    /** Destroys what {@link #build} made. The pool must be inactive. */
    void delete();

    /** Removes the definition. The pool must be inactive. */
    void undefine();

    /** Rescans the pool's volumes and space. */
    void refresh();

    /** The volumes found by the last refresh, sorted by name. */
    List<Volume> volumes();

    Optional<Volume> volume(String name);

    /** The volume named {@code name}, or {@link ErrorCode#NO_SUCH_VOLUME}. */
    Volume requireVolume(String name);

    Volume createVolume(VolumeDefinition definition);

    /**
     * Creates a volume holding a copy of {@code source} (which may live in another pool),
     * converting formats where the definitions differ. Stops with {@link ErrorCode#CANCELLED}
     * when the thread is interrupted, leaving nothing behind.
     */
    Volume createVolumeFrom(VolumeDefinition definition, Volume source, ProgressListener progress);
}
