package org.libstorage;

/**
 * Told how far a long operation (copy, wipe, upload, download) has come. Called from the
 * thread doing the work; keep it quick.
 */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (done, total) -> { };

    /** @param total the total in bytes, or -1 when unknown */
    void progress(long done, long total);
}
