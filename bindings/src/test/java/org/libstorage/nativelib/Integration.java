package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What integration tests need from the machine; under CI=true a missing need fails the test. */
final class Integration {
    private Integration() {
    }

    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips the test (outside CI) or fails it (in CI) unless {@code condition} holds. */
    static void require(boolean condition, String need) {
        if (condition) {
            return;
        }
        if (inCi()) {
            fail("CI=true and this test needs " + need);
        }
        assumeTrue(false, "skipped: needs " + need);
    }

    static boolean isRoot() {
        return Libc.instance().geteuid() == 0;
    }

    static boolean hasCommand(String name) {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            if (Path.of(dir, name).toFile().canExecute()) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command (test set-up only; the code under test never spawns), returning stdout. */
    static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    /** Runs a command and returns its exit status (for clean-up steps that may legitimately fail). */
    static int runQuietly(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
