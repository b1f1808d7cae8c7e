package org.libstorage.storagectl;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.libstorage.Storage;

/**
 * The training run from which the build makes storagectl's ahead-of-time cache (JDK 25's
 * {@code -XX:AOTCacheOutput}): the commands people run most, each as its own storagectl
 * invocation in this one JVM, on a throwaway dir pool under the directory given. The JVM
 * records every class they load and link and the lambdas and method profiles they use;
 * {@code bin/storagectl} then starts with all of that already loaded. Not part of storagectl's
 * interface: {@code java ... org.libstorage.storagectl.Training DIR}.
 */
public final class Training {
    private Training() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Training WORK-DIR");
            System.exit(2);
        }
        Path work = Path.of(args[0]).toAbsolutePath();
        deleteTree(work);
        Files.createDirectories(work);
        Path config = work.resolve("config");
        Path pool = work.resolve("pool");
        // What Main does before a verb, so that its classes (and java.util.logging's) are in the
        // cache too: a real command starts there, not here.
        Logging.configure(false, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            Class.forName(Main.class.getName(), true, Training.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        int failures = 0;
        try {
            for (List<String> command : commands(pool)) {
                failures += run(config, command, "") == 0 ? 0 : 1;
            }
            // The batch path, and the error path of a command that fails.
            failures += run(config, List.of("batch", "--keep-going"), batch()) == 0 ? 0 : 1;
            run(config, List.of("vol-info", "missing.img", "--pool", "training"), "");
            run(config, List.of("vol-create-as", "training", "bad/name", "1G"), "");
            for (List<String> command : cleanUp()) {
                failures += run(config, command, "") == 0 ? 0 : 1;
            }
        } finally {
            deleteTree(work);
        }
        if (failures > 0) {
            // A training run that failed still makes a usable (smaller) cache; say so.
            System.err.println("storagectl training: " + failures + " commands failed");
        }
    }

    private static List<List<String>> commands(Path pool) {
        List<List<String>> commands = new ArrayList<>();
        commands.add(List.of("--version"));
        commands.add(List.of("--help"));
        commands.add(List.of("vol-create-as", "--help"));
        commands.add(List.of("pool-list", "--all"));
        commands.add(List.of("pool-define-as", "training", "dir", "--target", pool.toString()));
        commands.add(List.of("pool-build", "training"));
        commands.add(List.of("pool-start", "training"));
        commands.add(List.of("pool-list"));
        commands.add(List.of("pool-list", "--all", "--details"));
        commands.add(List.of("--json", "pool-list"));
        commands.add(List.of("pool-info", "training"));
        commands.add(List.of("pool-dumpxml", "training"));
        commands.add(List.of("vol-create-as", "training", "a.img", "1GiB"));
        commands.add(List.of("vol-create-as", "training", "b.img", "1MiB", "--allocation", "1MiB"));
        commands.add(List.of("vol-list", "training"));
        commands.add(List.of("vol-list", "training", "--details"));
        commands.add(List.of("--json", "vol-list", "training"));
        commands.add(List.of("vol-info", "a.img", "--pool", "training"));
        commands.add(List.of("vol-info", pool.resolve("a.img").toString()));
        commands.add(List.of("vol-dumpxml", "a.img", "--pool", "training"));
        commands.add(List.of("vol-path", "a.img", "--pool", "training"));
        commands.add(List.of("vol-key", "a.img", "--pool", "training"));
        commands.add(List.of("vol-clone", "b.img", "c.img", "--pool", "training"));
        commands.add(List.of("vol-resize", "a.img", "2GiB", "--pool", "training"));
        commands.add(List.of("pool-refresh", "training"));
        commands.add(List.of("vol-delete", "c.img", "--pool", "training"));
        commands.add(List.of("event", "--since", "0", "--pool", "training"));
        commands.add(List.of("--json", "event", "--since", "1"));
        return commands;
    }

    private static String batch() {
        StringBuilder lines = new StringBuilder("# many creates in one process\n");
        for (int i = 0; i < 20; i++) {
            lines.append("vol-create-as training 'batch ").append(i).append(".img' 1M\n");
        }
        for (int i = 0; i < 20; i++) {
            lines.append("vol-delete \"batch ").append(i).append(".img\" --pool training\n");
        }
        return lines.toString();
    }

    private static List<List<String>> cleanUp() {
        return List.of(
                List.of("vol-delete", "a.img", "--pool", "training"),
                List.of("vol-delete", "b.img", "--pool", "training"),
                List.of("pool-stop", "training"),
                List.of("pool-delete", "training"),
                List.of("pool-undefine", "training"));
    }

    private static int run(Path config, List<String> command, String input) {
        List<String> argv = new ArrayList<>(List.of("--config-dir", config.toString()));
        argv.addAll(command);
        PrintWriter discard = new PrintWriter(Writer.nullWriter());
        return Storagectl.run(argv.toArray(String[]::new), Storage::open, false, new StringReader(input),
                discard, discard);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
