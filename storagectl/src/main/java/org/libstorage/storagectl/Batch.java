package org.libstorage.storagectl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code storagectl batch}: many commands in one process, so that a script pays the JVM's
 * start-up once, not once a command. Every line runs against the same open {@code Storage}.
 */
@Command(name = "batch",
        description = {
            "Runs storagectl commands read from standard input (or a file), one a line, in this one process.",
            "A line is split into words as a shell would ('single' and \"double\" quotes, backslash escapes,"
                    + " no expansions); a # that starts a word begins a comment; empty lines and comments are skipped;"
                    + " 'quit' or 'exit' ends the batch.",
            "Each command prints what it would print alone. A command that fails prints its error and then"
                    + " 'line N: exit status S (COMMAND)' on stderr; with --verbose every command does.",
            "The first failure stops the batch unless --keep-going is given. The batch's exit status is that"
                    + " of the first command that failed, 0 when none did.",
            "Global options (--config-dir, --backend-option, --json, --debug) go before 'batch' and apply to every line."})
final class Batch implements Callable<Integer> {
    @ParentCommand
    Storagectl root;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Read the commands from FILE instead of standard input ('-' is standard input).")
    Path file;

    @Option(names = {"-k", "--keep-going"},
            description = "Run every command even after one fails (default: stop at the first failure).")
    boolean keepGoing;

    @Option(names = {"-v", "--verbose"},
            description = "Report every command's line number and exit status on stderr, not only failures'.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        if (file == null || file.toString().equals("-")) {
            return new Session(root, keepGoing, verbose, false).run(root.in());
        }
        try (BufferedReader reader = Files.newBufferedReader(file)) {
            return new Session(root, keepGoing, verbose, false).run(reader);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "file " + file, null,
                    "Cannot read " + Storagectl.describe(e) + ".", e);
        }
    }

    /**
     * Reads commands line by line and runs each through its own command line, against the
     * storage of {@code root} (opened by the first command that needs it, closed by the root).
     */
    static final class Session {
        private final Storagectl root;
        private final boolean keepGoing;
        private final boolean verbose;
        private final boolean prompt;
        private final Map<String, CommandLine> models = new HashMap<>();

        /**
         * @param keepGoing run the rest after a failure
         * @param verbose report every command's status, not only failures'
         * @param prompt print a prompt before each line (an interactive shell)
         */
        Session(Storagectl root, boolean keepGoing, boolean verbose, boolean prompt) {
            this.root = root;
            this.keepGoing = keepGoing;
            this.verbose = verbose;
            this.prompt = prompt;
        }

        /** Runs every command of {@code reader}; returns the first failure's exit status, or 0. */
        int run(BufferedReader reader) {
            PrintWriter err = root.err();
            int firstFailure = 0;
            int commands = 0;
            List<Integer> failedLines = new ArrayList<>();
            int lineNumber = 0;
            while (true) {
                if (prompt) {
                    root.out().print("storagectl> ");
                    root.out().flush();
                }
                String line;
                try {
                    line = reader.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (line == null) {
                    if (prompt) {
                        root.out().println();
                        root.out().flush();
                    }
                    break;
                }
                lineNumber++;
                List<String> words;
                int status;
                try {
                    words = Words.split(line);
                    if (words.isEmpty()) {
                        continue;
                    }
                    if (words.size() == 1 && (words.getFirst().equals("quit") || words.getFirst().equals("exit"))) {
                        break;
                    }
                    commands++;
                    status = runOne(words);
                } catch (Words.SyntaxError e) {
                    commands++;
                    err.println("error: " + e.getMessage() + ".");
                    status = ErrorCode.Category.INPUT.exitStatus();
                }
                if (status != 0 || verbose) {
                    err.println("line " + lineNumber + ": exit status " + status + " (" + line.strip() + ")");
                    err.flush();
                }
                if (status != 0) {
                    failedLines.add(lineNumber);
                    if (firstFailure == 0) {
                        firstFailure = status;
                    }
                    if (!keepGoing) {
                        err.println("storagectl: stopped at line " + lineNumber
                                + " (--keep-going runs the commands after a failure)");
                        err.flush();
                        return status;
                    }
                }
            }
            if (!failedLines.isEmpty() && !prompt) {
                err.println("storagectl: " + failedLines.size() + " of " + commands + " commands failed (line"
                        + (failedLines.size() == 1 ? " " : "s ") + summary(failedLines) + ")");
                err.flush();
            }
            return firstFailure;
        }

        /** Runs one command's words; returns its exit status. */
        private int runOne(List<String> words) {
            String refused = refusal(words);
            if (refused != null) {
                root.err().println("error: " + refused);
                root.err().flush();
                return ErrorCode.Category.INPUT.exitStatus();
            }
            List<String> argv = new ArrayList<>(words.size() + 2);
            if (root.json()) {
                argv.add("--json");
            }
            if (root.debug()) {
                argv.add("--debug");
            }
            argv.addAll(words);
            String[] args = argv.toArray(String[]::new);
            // Building a verb's model costs far more than running most verbs, so each verb's
            // command line is built once and reused: picocli resets every option and parameter
            // to its initial value before each parse. They share the batch's storage (and so
            // its open lock files and caches).
            Optional<String> verb = Verbs.only(args);
            if (verb.isEmpty()) {
                return commandLine(args).execute(args);
            }
            return models.computeIfAbsent(verb.get(), v -> commandLine(args)).execute(args);
        }

        private CommandLine commandLine(String[] args) {
            Storagectl child = new Storagectl(ignored -> root.storage(), root.terminal(), false,
                    java.io.Reader.nullReader());
            return Storagectl.commandLine(child, root.out(), root.err(), args);
        }

        private static String refusal(List<String> words) {
            for (String word : words) {
                if (word.equals("--config-dir") || word.startsWith("--config-dir=")) {
                    return "a command in a batch cannot choose --config-dir; give it before 'batch' or 'shell'.";
                }
                if (word.equals("--backend-option") || word.startsWith("--backend-option=")) {
                    // The storage is opened once, with the options given before 'batch' or 'shell'.
                    return "a command in a batch cannot set --backend-option; give it before 'batch' or 'shell'.";
                }
            }
            String verb = words.stream().filter(w -> !w.startsWith("-")).findFirst().orElse("");
            if (verb.equals("batch") || verb.equals("shell")) {
                return "'" + verb + "' cannot run inside a batch or shell.";
            }
            return null;
        }

        private static String summary(List<Integer> lines) {
            List<String> shown = lines.stream().limit(10).map(String::valueOf).toList();
            return String.join(", ", shown) + (lines.size() > shown.size() ? ", ..." : "");
        }
    }
}
