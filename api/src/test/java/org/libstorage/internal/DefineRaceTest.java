package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.Pool;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;

/** Several processes define the same pool at the same moment: exactly one wins. */
class DefineRaceTest {
    private static final int CONTENDERS = 4;
    /** Pools raced for, one after the other: each round is another chance for a missing lock to show. */
    private static final int ROUNDS = 10;

    @TempDir
    Path dir;

    @Test
    void processesDefiningTheSamePoolAtOnceLeaveExactlyOneDefinition() throws Exception {
        Path config = dir.resolve("config");
        Path go = dir.resolve("go");
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<Process> processes = new ArrayList<>();
        List<BufferedReader> outputs = new ArrayList<>();
        try {
            for (int i = 0; i < CONTENDERS; i++) {
                Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                        DefineRaceChild.class.getName(), config.toString(), "contested",
                        dir.resolve("target" + i).toString(), go.toString(), String.valueOf(ROUNDS))
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
                processes.add(p);
                outputs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
            }
            // Every contender has its Storage open before any of them may define.
            for (BufferedReader out : outputs) {
                assertEquals("READY", out.readLine());
            }
            Files.createFile(go);

            List<List<String>> outcomes = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                outcomes.add(new ArrayList<>());
            }
            for (int i = 0; i < CONTENDERS; i++) {
                for (int round = 0; round < ROUNDS; round++) {
                    outcomes.get(round).add(outputs.get(i).readLine());
                }
                assertTrue(processes.get(i).waitFor(5, TimeUnit.MINUTES), "contender " + i + " hung");
                assertEquals(0, processes.get(i).exitValue());
            }
            for (List<String> round : outcomes) {
                assertEquals(1, round.stream().filter("DEFINED"::equals).count(), outcomes::toString);
                assertEquals(CONTENDERS - 1, round.stream().filter("POOL_EXISTS"::equals).count(),
                        outcomes::toString);
            }
        } finally {
            processes.forEach(Process::destroyForcibly);
        }

        List<String> expected = IntStream.range(0, ROUNDS).mapToObj(r -> "contested-" + r).sorted().toList();
        try (Stream<Path> files = Files.list(config.resolve("storage"))) {
            assertEquals(expected.stream().map(n -> n + ".xml").toList(),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            assertEquals(expected, storage.pools().stream().map(Pool::name).toList());
        }
    }
}
