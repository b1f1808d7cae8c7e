package org.libstorage.storagectl;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code storagectl shell}: an interactive storagectl, as virsh has, in one process. */
@Command(name = "shell",
        description = {
            "An interactive storagectl: reads commands one a line (with a prompt when on a terminal),"
                    + " runs each in this process against the same storage, and goes on after a failure.",
            "Lines are split as in 'batch'; 'help' lists the verbs; 'quit', 'exit' or end of input (Ctrl-D) ends it.",
            "The exit status is that of the first command that failed, 0 when none did."})
final class Shell implements Callable<Integer> {
    @ParentCommand
    Storagectl root;

    @Override
    public Integer call() {
        return new Batch.Session(root, true, false, root.terminal()).run(root.in());
    }
}
