package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Definition files are replaced whole or not at all. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteReplacesTheFile() throws IOException {
        Path file = dir.resolve("pool.xml");
        AtomicFiles.write(file, "old".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(file, "new".getBytes(StandardCharsets.UTF_8));
        assertEquals("new", Files.readString(file));
        assertEquals(List.of("pool.xml"), names());
    }

    @Test
    void aWriteThatFailsHalfwayLeavesTheOldFileAndNoTempFile() throws IOException {
        Path file = dir.resolve("pool.xml");
        AtomicFiles.write(file, "<pool>old</pool>".getBytes(StandardCharsets.UTF_8));

        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            out.write("<pool>ne".getBytes(StandardCharsets.UTF_8));
            throw new IOException("No space left on device");
        }));
        assertEquals("No space left on device", e.getMessage());
        assertEquals("<pool>old</pool>", Files.readString(file));
        assertEquals(List.of("pool.xml"), names());
    }

    @Test
    void aWriteCreatesMissingDirectories() throws IOException {
        Path file = dir.resolve("a/b/pool.xml");
        AtomicFiles.write(file, "x".getBytes(StandardCharsets.UTF_8));
        assertEquals("x", Files.readString(file));
    }

    @Test
    void deleteSaysWhetherTheFileExisted() throws IOException {
        Path file = dir.resolve("pool.xml");
        AtomicFiles.write(file, "x".getBytes(StandardCharsets.UTF_8));
        assertEquals(true, AtomicFiles.delete(file));
        assertEquals(false, AtomicFiles.delete(file));
        assertEquals(List.of(), names());
    }
}
