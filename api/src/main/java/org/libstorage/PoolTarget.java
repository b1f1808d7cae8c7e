package org.libstorage;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** A pool's {@code <target>}: where its volumes appear, with what permissions. */
public record PoolTarget(Optional<Path> path, Optional<Permissions> permissions) {
    public PoolTarget {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(permissions, "permissions");
    }

    public static PoolTarget of(Path path) {
        return new PoolTarget(Optional.of(path), Optional.empty());
    }
}
