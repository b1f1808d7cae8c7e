package org.libstorage;

/** A pool's state and space, in bytes. */
public record PoolInfo(PoolState state, long capacity, long allocation, long available) {
    public static PoolInfo inactive() {
        return new PoolInfo(PoolState.INACTIVE, 0, 0, 0);
    }
}
