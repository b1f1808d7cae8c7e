package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * What a finished command did. {@code argv} is the redacted argv (secrets shown as
 * {@code ***}); stdout and stderr are decoded as UTF-8.
 */
public record CommandResult(List<String> argv, int exitStatus, String stdout, String stderr, Duration duration) {
    /** Longest stderr kept in a {@link CommandException}. */
    static final int MAX_EXCEPTION_STDERR = 8 * 1024;

    public CommandResult {
        argv = List.copyOf(argv);
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(duration, "duration");
    }

    public boolean succeeded() {
        return exitStatus == 0;
    }

    /**
     * This result when the command exited with status 0, else a {@link CommandException} of
     * reason {@link CommandException.Reason#EXIT_STATUS} carrying argv, status and stderr.
     */
    public CommandResult requireSuccess() {
        if (succeeded()) {
            return this;
        }
        throw exitStatusException();
    }

    /** The failure this result stands for, when it is one: see {@link #requireSuccess()}. */
    public CommandException exitStatusException() {
        String trimmed = bounded(stderr.strip());
        String firstLine = trimmed.lines().filter(line -> !line.isBlank()).findFirst().map(String::strip)
                .orElse("(nothing on stderr)");
        String message = Command.displayOf(argv) + " exited with status " + exitStatus + ": " + firstLine;
        return new CommandException(argv, CommandException.Reason.EXIT_STATUS, OptionalInt.of(exitStatus), trimmed,
                message, null);
    }

    /** The lines of stdout. */
    public List<String> stdoutLines() {
        return stdout.lines().toList();
    }

    private static String bounded(String text) {
        return text.length() <= MAX_EXCEPTION_STDERR ? text : text.substring(0, MAX_EXCEPTION_STDERR) + "…";
    }
}
