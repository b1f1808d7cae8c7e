package org.libstorage.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Durable, all-or-nothing file replacement: the content goes to a temp file in the same
 * directory, is fsynced, renamed over the target, and the directory is fsynced so the rename
 * itself survives a crash. Readers see the old file or the new one, never a torn one.
 */
final class AtomicFiles {
    /** Temp files start with '.' and end with this, so directory scans skip them. */
    static final String TEMP_SUFFIX = ".tmp";
    private static final String TEMP_INFIX = ".write-";
    /** Longest target name that goes into its temp file's name (the rest of it must fit in 255 bytes). */
    private static final int MAX_NAMED_TARGET = 200;

    private AtomicFiles() {
    }

    /** Writes {@code content} to a file; implementations may fail part-way and nothing changes. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    static void write(Path target, byte[] content) throws IOException {
        write(target, out -> out.write(content), () -> { });
    }

    /** As {@link #write(Path, Content)}, calling {@code beforeRename} once the temp file is complete. */
    static void write(Path target, byte[] content, Runnable beforeRename) throws IOException {
        write(target, out -> out.write(content), beforeRename);
    }

    static void write(Path target, Content content) throws IOException {
        write(target, content, () -> { });
    }

    /**
     * The temp file's name is {@code .<target>.write-<digits>.tmp} (just {@code .write-<digits>.tmp}
     * for a long target name), so whoever holds the lock that guards {@code target} can tell its
     * temp files from others' and remove those a killed writer left ({@link #removeTemps}).
     */
    static void write(Path target, Content content, Runnable beforeRename) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Modes.createDirectories(dir);
        String name = target.getFileName().toString();
        String prefix = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_NAMED_TARGET
                ? "." + name + TEMP_INFIX : TEMP_INFIX;
        Path temp = Files.createTempFile(dir, prefix, TEMP_SUFFIX);
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(channel);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            beforeRename.run();
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("Cannot rename " + temp + " over " + target + " atomically", e);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * Removes the temp files of {@code target} left by writers that died, or with {@code target}
     * null every temp file in {@code dir}. Call holding the lock every writer of those files holds.
     */
    static void removeTemps(Path dir, String target) throws IOException {
        java.util.regex.Pattern temp = java.util.regex.Pattern.compile(target == null
                ? "\\.(.*\\.)?write-[0-9]+\\.tmp"
                : "\\." + java.util.regex.Pattern.quote(target) + "\\.write-[0-9]+\\.tmp");
        try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(dir, ".*" + TEMP_SUFFIX)) {
            for (Path entry : entries) {
                if (temp.matcher(entry.getFileName().toString()).matches()) {
                    Files.deleteIfExists(entry);
                }
            }
        } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
            // nothing was ever written there
        }
    }

    /** Removes {@code file} durably; true when it existed. */
    static boolean delete(Path file) throws IOException {
        boolean existed = Files.deleteIfExists(file);
        if (existed) {
            syncDirectory(file.toAbsolutePath().getParent());
        }
        return existed;
    }

    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
