package org.libstorage;

import java.util.List;
import java.util.Optional;

/**
 * Whether the backend for a pool type can run on this host: if not, why (a missing library
 * with its soname and Debian package, a missing kernel feature, no backend at all), and notes
 * on how it runs (for example LVM with activation off).
 */
public record BackendStatus(PoolType type, boolean available, Optional<String> reason, List<String> notes) {
    public BackendStatus {
        notes = List.copyOf(notes);
    }

    public static BackendStatus available(PoolType type, String... notes) {
        return new BackendStatus(type, true, Optional.empty(), List.of(notes));
    }

    public static BackendStatus unavailable(PoolType type, String reason) {
        return new BackendStatus(type, false, Optional.of(reason), List.of());
    }
}
