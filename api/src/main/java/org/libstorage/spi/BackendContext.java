package org.libstorage.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.libstorage.SecretStore;

/**
 * What the core gives a driver: a private directory for its run-time state (cleared at boot),
 * the secret store, the pool's jobs, and the backend options of the
 * {@link org.libstorage.StorageConfig} (for example {@code lvm.engine=command}). A backend gets
 * one in every entry point ({@link PoolBackend#open}, {@link PoolBackend#status(BackendContext)},
 * {@link PoolBackend#findPoolSources(java.util.Optional, BackendContext)}); outside a pool the
 * directory is the backend's own and there are no jobs.
 */
public record BackendContext(Path stateDir, SecretStore secrets, Jobs jobs, Map<String, String> options) {
    public BackendContext {
        Objects.requireNonNull(jobs, "jobs");
        options = Map.copyOf(options);
    }

    /** No jobs and no options: for drivers opened outside a Storage. */
    public BackendContext(Path stateDir, SecretStore secrets) {
        this(stateDir, secrets, Jobs.NONE, Map.of());
    }

    public Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name));
    }
}
