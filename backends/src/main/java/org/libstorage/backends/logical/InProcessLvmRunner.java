package org.libstorage.backends.logical;

import java.util.List;
import org.libstorage.nativelib.Lvm2cmd;
import org.libstorage.nativelib.NativeCallException;

/** LVM in-process through liblvm2cmd: no process per command, messages with LVM's source lines. */
final class InProcessLvmRunner implements LvmRunner {
    private final Lvm2cmd lvm;

    InProcessLvmRunner(Lvm2cmd lvm) {
        this.lvm = lvm;
    }

    @Override
    public LvmOutput run(List<String> args) {
        Lvm2cmd.Result result = lvm.run(args, Lvm2cmd.LOG_PRINT);
        List<String> diagnostics = result.messages().stream().map(Lvm2cmd.LogLine::toString).toList();
        String errors = String.join("; ", result.errors().stream().map(Lvm2cmd.LogLine::toString).toList());
        int errno = result.errors().stream().mapToInt(Lvm2cmd.LogLine::errno).filter(e -> e > 0).findFirst().orElse(0);
        return new LvmOutput(args, result.succeeded(),
                result.exitClass() == Lvm2cmd.ExitClass.INVALID_PARAMETERS
                        || result.exitClass() == Lvm2cmd.ExitClass.NO_SUCH_COMMAND,
                result.report(), diagnostics,
                summary -> new NativeCallException(Lvm2cmd.SONAME, "lvm2_run", errno, "",
                        "'" + String.join(" ", args.subList(0, 1)) + "' ended " + result.exitClass()
                                + " (" + result.returnCode() + ")" + (errors.isEmpty() ? "" : ": " + errors)));
    }

    @Override
    public String description() {
        return "liblvm2cmd (in-process)";
    }
}
