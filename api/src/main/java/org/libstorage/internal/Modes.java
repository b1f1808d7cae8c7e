package org.libstorage.internal;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Directories and files the core creates get their mode set explicitly, never from the umask:
 * liblvm2cmd sets the process umask to 0077 around each of its calls, and another thread may be
 * creating a lock or run-state file at that moment.
 */
final class Modes {
    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwxr-xr-x");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");

    private Modes() {
    }

    /** Creates {@code dir} and its missing parents, each with mode 0755. */
    static void createDirectories(Path dir) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir.toAbsolutePath().normalize(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        while (!missing.isEmpty()) {
            Path p = missing.pop();
            try {
                Files.createDirectory(p);
                Files.setPosixFilePermissions(p, DIRECTORY);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
            }
        }
    }

    /** Creates the regular file {@code file} with mode 0644 if it is missing; true when it was created. */
    static boolean createFile(Path file) throws IOException {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            return false;
        }
        Files.setPosixFilePermissions(file, FILE);
        return true;
    }
}
