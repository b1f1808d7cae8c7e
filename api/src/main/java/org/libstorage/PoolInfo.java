package org.libstorage;

import java.util.List;
import java.util.Objects;

/**
 * A pool's state and space, in bytes, and notes on how it runs here (for example an LVM pool
 * on a host without device-mapper, whose volumes cannot be activated).
 */
public record PoolInfo(PoolState state, long capacity, long allocation, long available, List<String> notes) {
    public PoolInfo {
        Objects.requireNonNull(state, "state");
        notes = List.copyOf(notes);
    }

    public PoolInfo(PoolState state, long capacity, long allocation, long available) {
        this(state, capacity, allocation, available, List.of());
    }

    public static PoolInfo inactive() {
        return new PoolInfo(PoolState.INACTIVE, 0, 0, 0);
    }
}
