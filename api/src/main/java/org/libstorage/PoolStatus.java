package org.libstorage;

import java.util.Objects;

/**
 * One look at a pool: whether it is active, whether it starts at boot, and its space (all zero
 * while inactive). What a pool listing needs, taken under one lock.
 */
public record PoolStatus(boolean active, boolean autostart, PoolInfo info) {
    public PoolStatus {
        Objects.requireNonNull(info, "info");
    }
}
