package org.libstorage.lower;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A command failed to run, ran past its timeout, was interrupted, exited non-zero, or printed
 * something its parser could not read. Keeps the argv (secret elements already shown as
 * {@code ***}), the exit status (empty when it did not exit by itself), what it wrote on
 * stderr (trimmed and bounded), and for a missing tool the Debian package that provides it.
 */
public final class CommandException extends LowerLayerException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The executable is not on PATH, /usr/sbin or /sbin. */
        NOT_FOUND,
        /** The executable exists but could not be started (permissions, exec format). */
        FAILED_TO_START,
        /** It ran past its timeout; its process tree was killed. */
        TIMED_OUT,
        /** The calling thread was interrupted; the process tree was killed. */
        INTERRUPTED,
        /** It exited with a status other than 0. */
        EXIT_STATUS,
        /** It succeeded but printed something that could not be parsed. */
        BAD_OUTPUT
    }

    private final List<String> argv;
    private final Reason reason;
    private final OptionalInt exitStatus;
    private final String stderr;
    private final String debianPackage;

    public CommandException(List<String> argv, Reason reason, OptionalInt exitStatus, String stderr, String message,
                            Throwable cause) {
        this(argv, reason, exitStatus, stderr, Optional.empty(), message, cause);
    }

    public CommandException(List<String> argv, Reason reason, OptionalInt exitStatus, String stderr,
                            Optional<String> debianPackage, String message, Throwable cause) {
        super(message, cause);
        this.argv = List.copyOf(argv);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.exitStatus = Objects.requireNonNull(exitStatus, "exitStatus");
        this.stderr = stderr == null ? "" : stderr;
        this.debianPackage = debianPackage.orElse(null);
    }

    /** The argv as it was run, secret elements replaced by {@code ***}. */
    public List<String> argv() {
        return argv;
    }

    public Reason reason() {
        return reason;
    }

    public OptionalInt exitStatus() {
        return exitStatus;
    }

    /** What the command wrote on stderr, trimmed and bounded; empty when it did not get that far. */
    public String stderr() {
        return stderr;
    }

    /** For {@link Reason#NOT_FOUND}: the Debian package that provides the tool, where known. */
    public Optional<String> debianPackage() {
        return Optional.ofNullable(debianPackage);
    }
}
