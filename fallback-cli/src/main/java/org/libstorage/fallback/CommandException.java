package org.libstorage.fallback;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A command failed to run, ran past its timeout, or exited non-zero. Keeps the argv, the
 * exit status (empty when it did not exit by itself), and what it wrote on stderr.
 */
public final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public enum Reason { NOT_FOUND, FAILED_TO_START, TIMED_OUT, INTERRUPTED, EXIT_STATUS }

    private final List<String> argv;
    private final Reason reason;
    private final OptionalInt exitStatus;
    private final String stderr;

    public CommandException(List<String> argv, Reason reason, OptionalInt exitStatus, String stderr, String message,
                            Throwable cause) {
        super(message, cause);
        this.argv = List.copyOf(argv);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.exitStatus = Objects.requireNonNull(exitStatus, "exitStatus");
        this.stderr = stderr == null ? "" : stderr;
    }

    public List<String> argv() {
        return argv;
    }

    public Reason reason() {
        return reason;
    }

    public OptionalInt exitStatus() {
        return exitStatus;
    }

    public String stderr() {
        return stderr;
    }
}
