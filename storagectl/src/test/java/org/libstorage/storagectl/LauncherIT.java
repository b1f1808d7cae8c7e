package org.libstorage.storagectl;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bin/storagectl} as a process, as a user would: it proves the module-path launcher
 * (modules resolved, backends found through ServiceLoader, native access granted) works.
 * Runs in Maven's integration-test phase, after package has built what the launcher runs.
 */
class LauncherIT {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path LAUNCHER = ROOT.resolve("bin/storagectl");

    @TempDir
    Path tmp;

    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private static Result launch(List<String> prefix, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(prefix);
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("STORAGECTL_BUILD", "never");
        Path out = Files.createTempFile("storagectl-out", ".txt");
        Path err = Files.createTempFile("storagectl-err", ".txt");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                fail("storagectl " + String.join(" ", args) + " did not finish");
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static Result launch(String... args) throws IOException, InterruptedException {
        return launch(List.of(), args);
    }

    @Test
    void versionAndHelp() throws Exception {
        Result version = launch("--version");
        assertEquals(0, version.status(), version::toString);
        assertTrue(version.out().startsWith("storagectl 0.1"), version::toString);
        assertEquals("", version.err(), "no warnings about native access or missing modules");
        Result help = launch("help", "vol-create-as");
        assertEquals(0, help.status(), help::toString);
        assertTrue(help.out().contains("CAPACITY"), help::toString);
    }

    @Test
    void realVerbsOnTheModulePath() throws Exception {
        String config = tmp.resolve("config").toString();
        Path pool = tmp.resolve("pool");
        Result define = launch("--config-dir", config, "pool-define-as", "p", "dir", "--target", pool.toString());
        assertEquals(0, define.status(), define::toString);
        assertEquals(0, launch("--config-dir", config, "pool-start", "p", "--build").status());
        Result create = launch("--config-dir", config, "vol-create-as", "p", "a.img", "1G");
        assertEquals(0, create.status(), create::toString);
        assertEquals("", create.err());
        assertEquals(1L << 30, Files.size(pool.resolve("a.img")));

        Result list = launch("--config-dir", config, "vol-list", "p", "--json");
        assertEquals(0, list.status(), list::toString);
        JsonNode json = new ObjectMapper().readTree(list.out());
        assertEquals("a.img", json.get(0).get("name").asText());

        Result xml = launch("--config-dir", config, "vol-dumpxml", "a.img", "--pool", "p");
        LibvirtSchemas.assertValidVolume(xml.out());
        Result backends = launch("--config-dir", config, "backends");
        assertTrue(backends.out().contains(" dir            yes") || backends.out().contains(" dir   yes"), backends::toString);

        Result missing = launch("--config-dir", config, "pool-info", "ghost");
        assertEquals(3, missing.status());
        assertEquals("", missing.out());
        assertEquals("error: No pool is named 'ghost' or has that UUID; 'storagectl pool-list --all' lists them.\n",
                missing.err());
        Result usage = launch("--config-dir", config, "vol-create-as", "p", "b.img", "ten");
        assertEquals(2, usage.status());
        assertTrue(usage.err().startsWith("error: "), usage::toString);
        assertFalse(usage.err().contains("\tat "), "no stack trace");

        // A batch: one process, each line's own status, the first failure's as the batch's.
        Path commands = tmp.resolve("commands");
        Files.writeString(commands, "vol-create-as p 'b c.img' 1M\nvol-info nope.img --pool p\nvol-delete 'b c.img' --pool p\n");
        Result batch = launch("--config-dir", config, "batch", "--keep-going", "-f", commands.toString());
        assertEquals(3, batch.status(), batch::toString);
        assertEquals("Vol b c.img created\nVol b c.img deleted\n", batch.out(), batch::toString);
        assertTrue(batch.err().contains("line 2: exit status 3 (vol-info nope.img --pool p)"), batch::toString);
        assertFalse(Files.exists(pool.resolve("b c.img")));
    }

    @Test
    void tourRuns() throws Exception {
        Result tour = launch("tour");
        assertEquals(0, tour.status(), tour::toString);
        assertEquals("", tour.err(), "the tour prints no errors and no progress noise when not at a terminal");
        assertTrue(tour.out().contains("The downloaded bytes match the uploaded file."), tour::toString);
        assertTrue(tour.out().contains("Tour complete"), tour::toString);
        assertWorkDirectoryRemoved(tour);
    }

    @Test
    void tourRunsAsANormalUser() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(root, "needs root to switch to the user nobody (as a normal user, tourRuns covers it)");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Result tour = launch(List.of("/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "/usr/bin/env", "HOME=/nonexistent", "USER=nobody"), "tour");
        if (tour.err().contains("Permission denied") && tour.err().contains(ROOT.toString())) {
            Assumptions.abort("the checkout " + ROOT + " is not readable by nobody: " + tour.err());
        }
        assertEquals(0, tour.status(), tour::toString);
        assertTrue(tour.out().contains("Tour complete"), tour::toString);
        assertWorkDirectoryRemoved(tour);
    }

    @Test
    void anotherUsersConfigurationIsPermissionDeniedInOneLine() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(root, "needs root to make a configuration and switch to the user nobody");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String config = tmp.resolve("config").toString();
        assertEquals(0, launch("--config-dir", config, "pool-define-as", "p", "dir", "--target",
                tmp.resolve("pool").toString()).status());
        List<String> nobody = List.of("/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "/usr/bin/env", "HOME=/nonexistent", "USER=nobody");
        Result info = launch(nobody, "--config-dir", config, "pool-info", "p");
        if (info.err().contains("Permission denied") && info.err().contains(ROOT.toString())) {
            Assumptions.abort("the checkout " + ROOT + " is not readable by nobody: " + info.err());
        }
        assertEquals(8, info.status(), info::toString);
        assertTrue(info.err().startsWith("error: Cannot read the definition of pool 'p' in "), info::toString);
        assertTrue(info.err().contains("permission denied"), info::toString);
        assertEquals(1, info.err().lines().count(), "one line, no stack trace: " + info.err());
        Result list = launch(nobody, "--config-dir", config, "pool-list", "--all");
        assertEquals(8, list.status(), list::toString);
        assertEquals(1, list.err().lines().count(), "one line, no stack trace: " + list.err());
        // Readable definition, but the lock belongs to root: still permission, naming the file.
        Files.setPosixFilePermissions(tmp.resolve("config/storage/p.xml"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Result start = launch(nobody, "--config-dir", config, "pool-start", "p");
        assertEquals(8, start.status(), start::toString);
        assertTrue(start.err().startsWith("error: Cannot lock ") && start.err().contains("pool-p.lock: permission denied"),
                start::toString);
        assertEquals(1, start.err().lines().count(), "one line, no stack trace: " + start.err());
    }

    @Test
    void terminatingALongWipeStopsItWithCancelled() throws Exception {
        String config = tmp.resolve("config").toString();
        Path pool = tmp.resolve("pool");
        assertEquals(0, launch("--config-dir", config, "pool-define-as", "p", "dir", "--target", pool.toString()).status());
        assertEquals(0, launch("--config-dir", config, "pool-start", "p", "--build").status());
        assertEquals(0, launch("--config-dir", config, "vol-create-as", "p", "big.img", "8G").status());
        Path big = pool.resolve("big.img");
        Path err = tmp.resolve("err.txt");
        ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString(), "--config-dir", config,
                "vol-wipe", "big.img", "--pool", "p", "--algorithm", "random");
        builder.environment().put("STORAGECTL_BUILD", "never");
        Process wipe = builder.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            // Wait until random data is landing, then stop it as a service manager would (SIGTERM).
            while (wipe.isAlive() && VolumeVerbsTest.allocatedBytes(big) == 0) {
                Thread.sleep(50);
            }
            assertTrue(wipe.isAlive(), "an 8 GiB random wipe is still running: " + Files.readString(err));
            wipe.destroy();
            assertTrue(wipe.waitFor(2, TimeUnit.MINUTES), "the wipe stopped");
        } finally {
            wipe.destroyForcibly();
        }
        String message = Files.readString(err);
        assertTrue(message.startsWith("error: Cancelled"), message);
        assertEquals(1, message.lines().count(), message);
        assertEquals(143, wipe.exitValue(), "SIGTERM's status, as README and --help say");
        assertTrue(VolumeVerbsTest.allocatedBytes(big) < (8L << 30), "it stopped before the end");
    }

    @Test
    void ctrlCStopsALongWipeWithTheStatusForSigint() throws Exception {
        String config = tmp.resolve("config").toString();
        Path pool = tmp.resolve("pool");
        assertEquals(0, launch("--config-dir", config, "pool-define-as", "p", "dir", "--target", pool.toString()).status());
        assertEquals(0, launch("--config-dir", config, "pool-start", "p", "--build").status());
        assertEquals(0, launch("--config-dir", config, "vol-create-as", "p", "big.img", "8G").status());
        Path big = pool.resolve("big.img");
        Path err = tmp.resolve("err.txt");
        ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString(), "--config-dir", config,
                "vol-wipe", "big.img", "--pool", "p", "--algorithm", "random");
        builder.environment().put("STORAGECTL_BUILD", "never");
        Process wipe = builder.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            while (wipe.isAlive() && VolumeVerbsTest.allocatedBytes(big) == 0) {
                Thread.sleep(50);
            }
            assertTrue(wipe.isAlive(), "an 8 GiB random wipe is still running: " + Files.readString(err));
            new ProcessBuilder("kill", "-INT", Long.toString(wipe.pid())).start().waitFor();
            assertTrue(wipe.waitFor(2, TimeUnit.MINUTES), "the wipe stopped");
        } finally {
            wipe.destroyForcibly();
        }
        String message = Files.readString(err);
        assertTrue(message.startsWith("error: Cancelled"), message);
        assertEquals(130, wipe.exitValue(), "SIGINT's status, as README and --help say");
        Result help = launch("--help");
        assertTrue(help.out().contains("130") && help.out().contains("143") && help.out().contains("Exit status"), help::toString);
    }

    private static void assertWorkDirectoryRemoved(Result tour) {
        String line = tour.out().lines().filter(l -> l.startsWith("Working in ")).findFirst().orElseThrow();
        Path work = Path.of(line.substring("Working in ".length()).replaceFirst(" \\(.*", ""));
        assertFalse(Files.exists(work), "the tour removed " + work);
    }
}
