package org.libstorage;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where definitions are kept ({@code configDir}: persistent) and where run-time state and locks
 * live ({@code runDir}: cleared at boot), and where secrets come from (by default files in
 * {@code <configDir>/secrets}, see {@link FileSecretStore}); options for the backends
 * ({@code lvm.engine=command}, {@code lvm.config=...}: each backend documents its own), and a
 * {@link StageHook} for tests.
 */
public record StorageConfig(Path configDir, Path runDir, SecretStore secrets, Map<String, String> backendOptions,
                            StageHook stageHook) {
    public StorageConfig {
        Objects.requireNonNull(configDir, "configDir");
        Objects.requireNonNull(runDir, "runDir");
        Objects.requireNonNull(secrets, "secrets");
        backendOptions = Map.copyOf(backendOptions);
        Objects.requireNonNull(stageHook, "stageHook");
    }

    public StorageConfig(Path configDir, Path runDir, SecretStore secrets) {
        this(configDir, runDir, secrets, Map.of(), StageHook.NONE);
    }

    /**
     * {@code /etc/libstorage} and {@code /run/libstorage} for root; otherwise
     * {@code $XDG_CONFIG_HOME/libstorage} and {@code $XDG_RUNTIME_DIR/libstorage}, with the
     * XDG defaults when those are unset.
     */
    public static StorageConfig defaults() {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            return of(Path.of("/etc/libstorage"), Path.of("/run/libstorage"));
        }
        Path home = Path.of(System.getProperty("user.home"));
        String xdgConfig = System.getenv("XDG_CONFIG_HOME");
        String xdgRuntime = System.getenv("XDG_RUNTIME_DIR");
        Path config = xdgConfig != null && !xdgConfig.isBlank() ? Path.of(xdgConfig) : home.resolve(".config");
        Path run = xdgRuntime != null && !xdgRuntime.isBlank() ? Path.of(xdgRuntime)
                : home.resolve(".cache");
        return of(config.resolve("libstorage"), run.resolve("libstorage"));
    }

    /** A configuration kept wholly under one directory (its {@code run/} holds the run-time state). */
    public static StorageConfig ofDirectory(Path dir) {
        return of(dir, dir.resolve("run"));
    }

    /** Secrets come from files in {@code <configDir>/secrets} ({@link FileSecretStore}). */
    public static StorageConfig of(Path configDir, Path runDir) {
        return new StorageConfig(configDir, runDir, FileSecretStore.of(configDir.resolve("secrets")));
    }

    public StorageConfig withSecrets(SecretStore store) {
        return new StorageConfig(configDir, runDir, store, backendOptions, stageHook);
    }

    /** This configuration with backend option {@code name} set to {@code value}. */
    public StorageConfig withBackendOption(String name, String value) {
        Map<String, String> options = new HashMap<>(backendOptions);
        options.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return new StorageConfig(configDir, runDir, secrets, options, stageHook);
    }

    /** This configuration calling {@code hook} at the stages of long operations (a test seam). */
    public StorageConfig withStageHook(StageHook hook) {
        return new StorageConfig(configDir, runDir, secrets, backendOptions, hook);
    }
}
