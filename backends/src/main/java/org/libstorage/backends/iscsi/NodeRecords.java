package org.libstorage.backends.iscsi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * open-iscsi's node database ({@code /etc/iscsi/nodes}), written to for one thing only: the CHAP
 * password. {@code iscsiadm -o update -n node.session.auth.password -v SECRET} would put the
 * secret in iscsiadm's argv, which every user of the host can read in {@code /proc/PID/cmdline}
 * while it runs. So the record is made and its non-secret fields set with iscsiadm, and the
 * password line is written here, into the root-only record file, replaced atomically (a 0600
 * temporary in the same directory, fsync, rename). iscsiadm reads it at login; the record, and
 * the password with it, is deleted when the pool stops.
 *
 * <p>A record is {@code nodes/TARGET/ADDRESS,PORT} (made by {@code -o new}), or, when discovery
 * made it, a directory {@code nodes/TARGET/ADDRESS,PORT,TPGT/} holding one file per interface.
 */
final class NodeRecords {
    static final Path NODES = Path.of("/etc/iscsi/nodes");
    private static final String PASSWORD_KEY = "node.session.auth.password";
    private static final byte[] END = "# END RECORD".getBytes(StandardCharsets.US_ASCII);

    private final Path nodes;

    NodeRecords(Path nodes) {
        this.nodes = nodes;
    }

    /**
     * Why {@code secret} cannot be written into a record (open-iscsi reads one line, up to 255
     * bytes, and trims blanks around the value), or empty when it can.
     */
    static Optional<String> unusablePassword(byte[] secret) {
        if (secret.length == 0) {
            return Optional.of("it is empty");
        }
        if (secret.length > 255) {
            return Optional.of("it is longer than the 255 bytes open-iscsi keeps");
        }
        for (byte b : secret) {
            if ((b & 0xff) < 0x20 || b == 0x7f) {
                return Optional.of("it contains a control character (a newline, say)");
            }
        }
        if (secret[0] == ' ' || secret[secret.length - 1] == ' ') {
            return Optional.of("it begins or ends with a blank, which open-iscsi would drop");
        }
        return Optional.empty();
    }

    /** The record file of {@code target} at one of {@code addresses} and {@code port}, for interface {@code iface}. */
    Optional<Path> find(String target, List<String> addresses, int port, String iface) throws IOException {
        Path dir = nodes.resolve(target);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                for (String address : addresses) {
                    String prefix = address + "," + port;
                    if (name.equals(prefix) && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                        found.add(entry);
                    } else if ((name.equals(prefix) || name.startsWith(prefix + ","))
                            && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)
                            && Files.isRegularFile(entry.resolve(iface), LinkOption.NOFOLLOW_LINKS)) {
                        found.add(entry.resolve(iface));
                    }
                }
            }
        }
        return found.stream().sorted().findFirst();
    }

    /** Sets the record's CHAP password, replacing the file atomically; the record keeps every other line. */
    void setPassword(Path record, byte[] secret) throws IOException {
        byte[] old = Files.readAllBytes(record);
        ByteArrayOutputStream updated = new ByteArrayOutputStream(old.length + secret.length + 64);
        boolean written = false;
        int start = 0;
        try {
            while (start < old.length) {
                int end = start;
                while (end < old.length && old[end] != '\n') {
                    end++;
                }
                byte[] line = Arrays.copyOfRange(old, start, end);
                start = end + 1;
                if (isKey(line)) {
                    if (!written) {
                        writePassword(updated, secret); // in the old one's place
                        written = true;
                    }
                    continue;
                }
                if (!written && startsWith(line, END)) {
                    writePassword(updated, secret);
                    written = true;
                }
                updated.write(line);
                updated.write('\n');
            }
            if (!written) {
                writePassword(updated, secret);
            }
            replace(record, updated.toByteArray());
        } finally {
            Arrays.fill(old, (byte) 0);
        }
    }

    private static void writePassword(ByteArrayOutputStream out, byte[] secret) {
        out.writeBytes((PASSWORD_KEY + " = ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(secret);
        out.write('\n');
    }

    private static boolean isKey(byte[] line) {
        String head = new String(line, 0, Math.min(line.length, PASSWORD_KEY.length() + 8), StandardCharsets.ISO_8859_1)
                .stripLeading();
        return head.startsWith(PASSWORD_KEY + " ") || head.startsWith(PASSWORD_KEY + "=");
    }

    private static boolean startsWith(byte[] line, byte[] prefix) {
        return line.length >= prefix.length && Arrays.equals(line, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Writes a 0600 temporary beside {@code record}, syncs it and renames it over. */
    private static void replace(Path record, byte[] content) throws IOException {
        Path temporary = record.resolveSibling("." + record.getFileName() + ".libstorage-" + ProcessHandle.current().pid());
        Files.deleteIfExists(temporary);
        try {
            try (FileChannel channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temporary, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }
}
