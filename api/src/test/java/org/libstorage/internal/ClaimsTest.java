package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.StorageConfig;

/**
 * A scan of a pool's claims remembers a claims directory it found empty, so that a plain create
 * does not list it every time; whatever is recorded there afterwards is still seen.
 */
class ClaimsTest {
    @TempDir
    Path dir;

    @Test
    void aClaimWrittenAfterAnEmptyScanIsSeen() throws Exception {
        Layout layout = Layout.of(StorageConfig.ofDirectory(dir));
        Claims claims = new Claims(layout);
        Path jobs = Files.createDirectories(layout.jobs("images"));
        settle(jobs);
        assertTrue(claims.scan("images").live().isEmpty());
        assertTrue(claims.scan("images").live().isEmpty()); // remembered: one stat

        // Another process's job that died: its claim file, no lock held on it.
        Files.writeString(jobs.resolve("1-00ff.claim"), """
                volume=disk.img
                use=CREATE
                operation=vol-create
                pid=1
                started=2026-11-29T00:00:00Z
                """);
        Claims.Scan scan = claims.scan("images");
        assertEquals(1, scan.dead().size());
        assertEquals("disk.img", scan.dead().getFirst().volume());

        // Cleaned up: empty again, and a claim of this process is seen at once.
        claims.remove("images", scan.dead().getFirst());
        settle(jobs);
        assertTrue(claims.scan("images").dead().isEmpty());
        try (Claims.Held held = claims.record("images", "new.img", Claims.Use.CREATE, "vol-create", "volume 'new.img'")) {
            assertEquals(held.claim(), claims.scan("images").live().getFirst());
        }
    }

    @Test
    void aDirectoryJustChangedIsListedEveryTime() throws Exception {
        Layout layout = Layout.of(StorageConfig.ofDirectory(dir));
        Claims claims = new Claims(layout);
        Path jobs = Files.createDirectories(layout.jobs("images"));
        Files.setLastModifiedTime(jobs, FileTime.from(Instant.now()));
        assertTrue(claims.scan("images").live().isEmpty());
        // The same tick of a coarse file-system clock: the time would not move, so it must not be trusted.
        FileTime unchanged = Files.getLastModifiedTime(jobs);
        Files.writeString(jobs.resolve("1-0abc.claim"), "volume=a.img\nuse=WRITE\noperation=vol-wipe\npid=1\n"
                + "started=2026-11-29T00:00:00Z\n");
        Files.setLastModifiedTime(jobs, unchanged);
        assertEquals(1, claims.scan("images").dead().size());
    }

    /** As if the directory last changed a while ago. */
    private static void settle(Path jobs) throws Exception {
        Files.setLastModifiedTime(jobs, FileTime.from(Instant.now().minus(1, ChronoUnit.SECONDS)));
    }
}
