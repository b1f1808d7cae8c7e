package org.libstorage.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.libstorage.ErrorCode;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;

/**
 * Where the registry keeps things, mirroring libvirt's layout:
 * <ul>
 * <li>{@code <configDir>/storage/<name>.xml} — persistent pool definitions;</li>
 * <li>{@code <configDir>/storage/autostart/<name>} — autostart markers (symlinks to the definition);</li>
 * <li>{@code <runDir>/storage/<name>.xml} — the definition of each active pool as it was started;</li>
 * <li>{@code <runDir>/storage/state/<name>/} — each driver's private run-time directory;</li>
 * <li>{@code <runDir>/storage/jobs/<name>/} — the claims of the pool's running jobs ({@link Claims})
 *     and {@code changes}, whose time stamp moves whenever a process changes the pool's volumes;</li>
 * <li>{@code <runDir>/storage/events/} — the event journal's segments and lock ({@link Journal});</li>
 * <li>{@code <runDir>/locks/pool-<name>.lock}, {@code <runDir>/locks/registry.lock} — lock files.</li>
 * </ul>
 */
record Layout(Path definitions, Path autostart, Path runState, Path driverState, Path jobs, Path locks) {

    private static final String DEFINITION_SUFFIX = ".xml";
    private static final String LOCK_PREFIX = "pool-";
    private static final String LOCK_SUFFIX = ".lock";

    /**
     * The longest pool name whose files fit in a file name (255 bytes on Linux): the lock file
     * {@code pool-<name>.lock} is the longest of them.
     */
    static final int MAX_POOL_NAME_BYTES = 255 - LOCK_PREFIX.length() - LOCK_SUFFIX.length();

    static Layout of(StorageConfig config) {
        Path config_ = config.configDir().toAbsolutePath().normalize();
        Path run = config.runDir().toAbsolutePath().normalize();
        Path storage = config_.resolve("storage");
        Path runStorage = run.resolve("storage");
        return new Layout(storage, storage.resolve("autostart"), runStorage, runStorage.resolve("state"),
                runStorage.resolve("jobs"), run.resolve("locks"));
    }

    Path definition(String pool) {
        return definitions.resolve(pool + DEFINITION_SUFFIX);
    }

    Path autostartMarker(String pool) {
        return autostart.resolve(pool);
    }

    Path runState(String pool) {
        return runState.resolve(pool + DEFINITION_SUFFIX);
    }

    Path driverState(String pool) {
        return driverState.resolve(pool);
    }

    /** A backend's own run-time directory, for what it does outside a pool (finding pool sources). */
    Path backendState(org.libstorage.PoolType type) {
        return driverState.resolveSibling("backends").resolve(type.xmlName());
    }

    Path jobs(String pool) {
        return jobs.resolve(pool);
    }

    /** The event journal ({@link Journal}). */
    Path events() {
        return runState.resolve("events");
    }

    Path changes(String pool) {
        return jobs.resolve(pool).resolve("changes");
    }

    Path poolLock(String pool) {
        return locks.resolve(LOCK_PREFIX + pool + LOCK_SUFFIX);
    }

    Path registryLock() {
        return locks.resolve("registry.lock");
    }

    /** The pool name a definition file holds, or null for files that are not definitions (temp files). */
    static String poolNameOf(Path definitionFile) {
        String file = definitionFile.getFileName().toString();
        if (!file.endsWith(DEFINITION_SUFFIX) || file.length() == DEFINITION_SUFFIX.length()) {
            return null;
        }
        return file.substring(0, file.length() - DEFINITION_SUFFIX.length());
    }

    /** Refuses pool names too long for the files that hold the pool's state. */
    static void requireStorableName(String name, String operation) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_POOL_NAME_BYTES) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "pool '" + name + "'", operation,
                    "The pool name is " + bytes + " bytes long; at most " + MAX_POOL_NAME_BYTES
                            + " bytes fit in the pool's lock file name.");
        }
    }
}
