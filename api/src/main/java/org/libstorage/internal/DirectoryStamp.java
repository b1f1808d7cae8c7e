package org.libstorage.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A directory's identity and modification time, taken with one {@code stat}, to tell whether
 * the directory changed since it was listed without listing it again.
 *
 * <p>File systems stamp changes with a coarse clock (a tick of up to 10 ms), so an entry added
 * in the same tick as the change a stamp saw can leave the time where it was. A listing may
 * therefore be trusted by its stamp only when the stamp is {@link #settled()}: its time was
 * already older than {@link #SETTLED} when it was taken, so any later change moves it.
 */
record DirectoryStamp(Object fileKey, FileTime modified, Instant taken) {
    static final Duration SETTLED = Duration.ofMillis(100);

    /** The stamp of {@code dir}; empty when there is no such directory. */
    static Optional<DirectoryStamp> of(Path dir) throws IOException {
        Instant taken = Instant.now();
        try {
            BasicFileAttributes attributes = Files.readAttributes(dir, BasicFileAttributes.class);
            if (!attributes.isDirectory()) {
                return Optional.empty();
            }
            return Optional.of(new DirectoryStamp(attributes.fileKey(), attributes.lastModifiedTime(), taken));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Whether a listing made after this stamp may stand for the directory while it is {@link #unchangedSince}. */
    boolean settled() {
        return fileKey != null && modified.toInstant().isBefore(taken.minus(SETTLED));
    }

    /** Whether this (later) stamp shows the same directory, unchanged since {@code earlier}. */
    boolean unchangedSince(DirectoryStamp earlier) {
        return earlier != null && fileKey != null && fileKey.equals(earlier.fileKey)
                && modified.equals(earlier.modified);
    }
}
