package org.libstorage.backends.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CHAP password goes into open-iscsi's node record file, and nowhere else. */
class NodeRecordsTest {
    static final String TARGET = "iqn.2026-01.org.libstorage.test:chap";
    static final String RECORD = """
            # BEGIN RECORD 2.1.8
            node.name = iqn.2026-01.org.libstorage.test:chap
            node.session.auth.authmethod = CHAP
            node.session.auth.username = alice
            node.session.auth.password = old-one
            node.session.auth.chap_algs = MD5
            node.conn[0].port = 3261
            # END RECORD
            """;

    @TempDir
    Path nodes;

    @Test
    void replacesThePasswordAndKeepsEveryOtherLine() throws IOException {
        Path record = record(nodes.resolve(TARGET).resolve("127.0.0.1,3261"));
        new NodeRecords(nodes).setPassword(record, "n3w secret".getBytes(StandardCharsets.UTF_8));
        assertEquals(RECORD.replace("password = old-one", "password = n3w secret"), Files.readString(record));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(record)));
        try (var left = Files.list(record.getParent())) {
            assertEquals(List.of(record), left.toList(), "no temporary is left beside the record");
        }
    }

    @Test
    void addsThePasswordBeforeTheEndWhenTheRecordHasNone() throws IOException {
        Path record = nodes.resolve(TARGET).resolve("127.0.0.1,3261");
        Files.createDirectories(record.getParent());
        Files.writeString(record, RECORD.replace("node.session.auth.password = old-one\n", ""));
        new NodeRecords(nodes).setPassword(record, "s3cret".getBytes(StandardCharsets.UTF_8));
        List<String> lines = Files.readAllLines(record);
        assertEquals("node.session.auth.password = s3cret", lines.get(lines.size() - 2));
        assertEquals("# END RECORD", lines.getLast());
    }

    @Test
    void findsTheRecordIscsiadmMadeOrTheOneDiscoveryMade() throws IOException {
        NodeRecords records = new NodeRecords(nodes);
        assertEquals(Optional.empty(), records.find(TARGET, List.of("127.0.0.1"), 3261, "default"));
        Path made = record(nodes.resolve(TARGET).resolve("127.0.0.1,3261"));
        record(nodes.resolve(TARGET).resolve("127.0.0.2,3261"));
        assertEquals(Optional.of(made), records.find(TARGET, List.of("localhost", "127.0.0.1"), 3261, "default"));
        Path discovered = record(nodes.resolve(TARGET).resolve("10.0.0.5,3260,1").resolve("libstorage-0a1b2c3d"));
        assertEquals(Optional.of(discovered), records.find(TARGET, List.of("10.0.0.5"), 3260, "libstorage-0a1b2c3d"));
        assertEquals(Optional.empty(), records.find(TARGET, List.of("10.0.0.5"), 3260, "default"));
    }

    @Test
    void refusesPasswordsOpenIscsiWouldMangle() {
        assertEquals(Optional.empty(), NodeRecords.unusablePassword("a good one!".getBytes(StandardCharsets.UTF_8)));
        assertTrue(NodeRecords.unusablePassword("two\nlines".getBytes(StandardCharsets.UTF_8)).isPresent());
        assertTrue(NodeRecords.unusablePassword(" padded".getBytes(StandardCharsets.UTF_8)).isPresent());
        assertTrue(NodeRecords.unusablePassword(new byte[0]).isPresent());
        assertTrue(NodeRecords.unusablePassword(new byte[256]).isPresent());
    }

    private static Path record(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, RECORD);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
