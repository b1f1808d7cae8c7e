package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The {@code lvm} binary, for hosts without liblvm2cmd and for the commands that must not run
 * in-process (activation, which makes LVM lock all process memory). Runs {@code lvm <args>}
 * through {@link CommandRunner}: argv only, {@code LC_ALL=C}, a timeout, and
 * {@code LVM_SUPPRESS_FD_WARNINGS=1} so LVM does not complain on stderr about descriptors the
 * JVM keeps open. The result is returned whatever the exit status: LVM's JSON report on stdout
 * explains failures better than the status does, and the caller parses it.
 */
public final class LvmCommand {
    public static final String TOOL = "lvm";

    private final CommandRunner runner;

    private LvmCommand(CommandRunner runner) {
        this.runner = runner;
    }

    public static LvmCommand create(Duration timeout) {
        return new LvmCommand(CommandRunner.create().withTimeout(timeout).withEnvironment("LVM_SUPPRESS_FD_WARNINGS", "1"));
    }

    /** Whether the {@code lvm} binary can be run here. */
    public boolean available() {
        return runner.available(TOOL);
    }

    /**
     * Runs {@code lvm} with {@code args} (a subcommand first, such as {@code vgs}).
     *
     * @throws CommandException when lvm cannot be started, times out or is interrupted
     */
    public CommandResult run(List<String> args) {
        Objects.requireNonNull(args, "args");
        List<String> argv = new ArrayList<>(args.size() + 1);
        argv.add(TOOL);
        argv.addAll(args);
        return runner.execute(argv);
    }
}
