package org.libstorage.backends.logical;

import java.util.List;
import org.libstorage.fallback.CommandResult;
import org.libstorage.fallback.LvmCommand;

/** The {@code lvm} binary: a process per command, the report on stdout, messages on stderr. */
final class CommandLvmRunner implements LvmRunner {
    /** LVM's exit status for EINVALID_CMD_LINE (ENO_SUCH_CMD is 2). */
    private static final int INVALID_CMD_LINE = 3;
    private static final int NO_SUCH_CMD = 2;

    private final LvmCommand lvm;

    CommandLvmRunner(LvmCommand lvm) {
        this.lvm = lvm;
    }

    @Override
    public LvmOutput run(List<String> args) {
        CommandResult result = lvm.run(args);
        List<String> diagnostics = result.stderr().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        return new LvmOutput(args, result.succeeded(),
                result.exitStatus() == INVALID_CMD_LINE || result.exitStatus() == NO_SUCH_CMD,
                result.stdout(), diagnostics, summary -> result.exitStatusException());
    }

    @Override
    public String description() {
        return "the lvm command";
    }
}
