package org.libstorage;

/**
 * A test seam: called at named stages of long operations (a job has claimed its volume and let
 * go of the pool's lock: {@code claimed}; a new volume's temporary exists: {@code temporary-created};
 * its data is in: {@code filled}; a definition's temporary file is written: {@code definition-written}).
 * A hook may hold the calling thread, so that a test can kill the process at exactly that point
 * and check what the next command finds, or throw to make the operation fail there. Installed
 * with {@link StorageConfig#withStageHook}; the default does nothing.
 */
@FunctionalInterface
public interface StageHook {
    StageHook NONE = (operation, stage) -> { };

    void reached(String operation, String stage);
}
