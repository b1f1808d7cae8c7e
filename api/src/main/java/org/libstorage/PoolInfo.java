package org.libstorage;

import java.util.List;
import java.util.Objects;

/**
 * A pool's state and space, in bytes, and notes on how it runs here (for example an LVM pool
 * on a host without device-mapper, whose volumes cannot be activated).
 *
 * @param spaceKnown whether the pool knows its space; when not ({@link #spaceUnknown}: an RBD
 *        pool whose cluster runs no ceph-mgr, or a pool that is not running), capacity,
 *        allocation and available are 0, as libvirt reports them, and mean nothing
 */
public record PoolInfo(PoolState state, long capacity, long allocation, long available, List<String> notes,
                       boolean spaceKnown) {
    public PoolInfo {
        Objects.requireNonNull(state, "state");
        notes = List.copyOf(notes);
        if (!spaceKnown && (capacity != 0 || allocation != 0 || available != 0)) {
            throw new IllegalArgumentException("a pool whose space is unknown reports 0 bytes, not " + capacity
                    + "/" + allocation + "/" + available);
        }
    }

    /** A pool that knows its space. */
    public PoolInfo(PoolState state, long capacity, long allocation, long available, List<String> notes) {
        this(state, capacity, allocation, available, notes, true);
    }

    /** A pool that knows its space, without notes. */
    public PoolInfo(PoolState state, long capacity, long allocation, long available) {
        this(state, capacity, allocation, available, List.of());
    }

    /** A pool that cannot say how much space it has or has free. */
    public static PoolInfo spaceUnknown(PoolState state, List<String> notes) {
        return new PoolInfo(state, 0, 0, 0, notes, false);
    }

    /** A pool that is not running: its space is not known until it starts. */
    public static PoolInfo inactive() {
        return spaceUnknown(PoolState.INACTIVE, List.of());
    }
}
