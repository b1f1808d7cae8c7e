package org.libstorage;

import java.util.Objects;

/**
 * One look at a pool: the definition in force (the one it was started with while active),
 * whether it is active, whether it starts at boot, and its space (all zero while inactive). What
 * a pool listing needs, taken under one lock.
 */
public record PoolStatus(PoolDefinition definition, boolean active, boolean autostart, PoolInfo info) {
    public PoolStatus {
        Objects.requireNonNull(definition, "definition");
        Objects.requireNonNull(info, "info");
    }
}
