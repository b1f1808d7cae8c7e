package org.libstorage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The default {@link SecretStore}: one file per secret in {@code <configDir>/secrets/}, named by
 * the secret's UUID ({@code 0f6b…}) or its usage string ({@code libvirtiscsi}). Its contents are
 * the secret; one trailing newline is dropped, so {@code echo secret > file} works.
 *
 * <p>A file is used only when it is a regular file (not a symlink), owned by the user this
 * process runs as, and not accessible to group or others (mode 0600 or 0400); otherwise lookup
 * fails with {@code PERMISSION_DENIED} naming the file and the fix. A missing file is an empty
 * result. Secrets never appear in messages or {@link #toString()}.
 */
public final class FileSecretStore implements SecretStore {
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final int MAX_BYTES = 64 * 1024;

    private final Path directory;

    private FileSecretStore(Path directory) {
        this.directory = directory;
    }

    /** The store in {@code <configDir>/secrets}. */
    public static FileSecretStore in(StorageConfig config) {
        return of(config.configDir().resolve("secrets"));
    }

    /** The store in {@code directory} itself. */
    public static FileSecretStore of(Path directory) {
        return new FileSecretStore(Objects.requireNonNull(directory, "directory").toAbsolutePath());
    }

    public Path directory() {
        return directory;
    }

    @Override
    public Optional<byte[]> lookup(PoolSource.SecretRef ref) {
        String name = ref.uuid().map(Object::toString).orElseGet(() -> ref.usage().orElseThrow());
        String problem = Names.problem(name);
        if (problem != null || name.startsWith(".")) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, "secret-lookup", "The secret usage '"
                    + (name.length() > 64 ? name.substring(0, 64) + "..." : name)
                    + "' cannot name a file in the secret store: " + (problem != null ? problem : "it starts with '.'")
                    + ".");
        }
        Path file = directory.resolve(name);
        String object = "secret file " + file;
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, object, "secret-lookup",
                    "Cannot read the attributes of the secret file " + file + ": " + e.getMessage() + ".", e);
        }
        if (!attributes.isRegularFile()) {
            throw new StorageException(ErrorCode.PERMISSION_DENIED, object, "secret-lookup", "The secret file " + file
                    + " is not a regular file" + (attributes.isSymbolicLink() ? " (it is a symbolic link)" : "")
                    + "; secrets are read only from regular files.");
        }
        int owner = uid(file);
        int self = uid(Path.of("/proc/self"));
        if (owner != self) {
            throw new StorageException(ErrorCode.PERMISSION_DENIED, object, "secret-lookup", "The secret file " + file
                    + " is owned by uid " + owner + ", not by this user (uid " + self + "); chown it.");
        }
        Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
        open.addAll(attributes.permissions());
        open.retainAll(GROUP_OR_OTHERS);
        if (!open.isEmpty()) {
            throw new StorageException(ErrorCode.PERMISSION_DENIED, object, "secret-lookup", "The secret file " + file
                    + " is accessible to group or others (mode " + mode(attributes.permissions())
                    + "); run chmod 600 on it.");
        }
        if (attributes.size() > MAX_BYTES) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, "secret-lookup", "The secret file " + file
                    + " is larger than " + MAX_BYTES + " bytes; it should hold only the secret.");
        }
        return Optional.of(read(file, object));
    }

    private static byte[] read(Path file, String object) {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_BYTES + 1);
        try (SeekableByteChannel channel = Files.newByteChannel(file,
                Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // keep reading
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, object, "secret-lookup",
                    "Cannot read the secret file " + file + ": " + e.getClass().getSimpleName() + ".", e);
        }
        int length = buffer.position();
        if (length > 0 && buffer.get(length - 1) == '\n') {
            length--;
        }
        byte[] secret = Arrays.copyOf(buffer.array(), length);
        Arrays.fill(buffer.array(), (byte) 0);
        return secret;
    }

    private static int uid(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "secret file " + path, "secret-lookup",
                    "Cannot tell who owns " + path + ": " + e.getMessage() + ".", e);
        }
    }

    private static String mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", mode);
    }

    /** Stores reading the same directory are equal, so equal configurations compare equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof FileSecretStore other && other.directory.equals(directory);
    }

    @Override
    public int hashCode() {
        return directory.hashCode();
    }

    @Override
    public String toString() {
        return "FileSecretStore[" + directory + "]";
    }
}
