package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.Storage;

/** {@code storagectl event}: what other storagectl processes change, one line an event. */
class EventVerbTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final Cli cli = new Cli(Storage::open, false);
    private final List<Process> children = new ArrayList<>();
    private Path config;

    private Cli.Result ok(String... args) {
        List<String> argv = new ArrayList<>(List.of("--config-dir", config.toString()));
        argv.addAll(Arrays.asList(args));
        Cli.Result r = cli.run(argv.toArray(String[]::new));
        assertEquals(0, r.status(), () -> String.join(" ", args) + "\n" + r);
        return r;
    }

    @BeforeEach
    void pool() {
        config = tmp.resolve("config");
        ok("pool-define-as", "images", "dir", "--target", tmp.resolve("images").toString());
        ok("pool-start", "images", "--build");
    }

    @AfterEach
    void kill() {
        children.forEach(Process::destroyForcibly);
    }

    private Process storagectl(String... args) throws Exception {
        List<String> classPath = new ArrayList<>();
        for (String property : List.of("java.class.path", "jdk.module.path")) {
            String value = System.getProperty(property);
            if (value != null && !value.isEmpty()) {
                classPath.add(value);
            }
        }
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", String.join(File.pathSeparator, classPath),
                "org.libstorage.storagectl.Main", "--config-dir", config.toString()));
        argv.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        return p;
    }

    @Test
    void aLoopingFollowerPrintsEveryChangeOtherStoragectlProcessesMake() throws Exception {
        Process follower = storagectl("event", "--loop", "--json", "--since", "0");
        BufferedReader lines = new BufferedReader(new InputStreamReader(follower.getInputStream(), StandardCharsets.UTF_8));
        List<Process> writers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            writers.add(storagectl("vol-create-as", "images", "vm" + i + ".img", "1M"));
        }
        for (Process w : writers) {
            assertTrue(w.waitFor(5, TimeUnit.MINUTES));
            assertEquals(0, w.exitValue());
        }
        ok("vol-delete", "vm0.img", "--pool", "images");

        List<JsonNode> events = new ArrayList<>();
        for (int i = 0; i < 3 + 4; i++) {
            String line = lines.readLine();
            assertNotNull(line, "the follower ended early");
            events.add(JSON.readTree(line));
        }
        assertEquals(List.of("pool-defined", "pool-built", "pool-started"),
                events.subList(0, 3).stream().map(e -> e.get("operation").asText()).toList());
        Set<String> created = new HashSet<>();
        Set<Long> pids = new HashSet<>();
        for (JsonNode e : events.subList(3, 6)) {
            assertEquals("volume-created", e.get("operation").asText());
            assertEquals("images", e.get("pool").asText());
            created.add(e.get("volume").asText());
            pids.add(e.get("pid").asLong());
            assertEquals(tmp.resolve("images").resolve(e.get("volume").asText()).toString(), e.get("key").asText());
        }
        assertEquals(Set.of("vm0.img", "vm1.img", "vm2.img"), created);
        assertEquals(3, pids.size(), "each writer process journals its own change");
        assertEquals("volume-deleted", events.get(6).get("operation").asText());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i + 1, events.get(i).get("sequence").asLong());
        }
        assertTrue(follower.isAlive(), "--loop keeps following");
    }

    @Test
    void withoutLoopItPrintsOneEventAndExits() {
        Cli.Result first = ok("event", "--since", "0");
        assertTrue(first.out().matches("#1 \\S+ pid \\d+ pool 'images': pool-defined\n"), first.out());
        Cli.Result third = ok("event", "--since", "2", "--pool", "images");
        assertTrue(third.out().endsWith(": pool-started\n"), third.out());
        ok("vol-create-as", "images", "a.img", "1M");
        Cli.Result created = ok("--json", "event", "--since", "3");
        assertEquals("a.img", readTree(created.out()).get("volume").asText());
        assertEquals(4, readTree(created.out()).get("sequence").asLong());
    }

    @Test
    void aSequenceNotYetReachedIsBadInput() {
        List<String> argv = List.of("--config-dir", config.toString(), "event", "--since", "10");
        Cli.Result r = cli.run(argv.toArray(String[]::new));
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("Event 11 has not happened: the next event will be 4"), r.err());
    }

    private static JsonNode readTree(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
