package org.libstorage.backends.logical;

import java.util.List;

/**
 * Runs one LVM command and hands back what it said, the same way whichever engine runs it, so
 * that one parser ({@link LvmReport}) reads both: in-process through liblvm2cmd, or the
 * {@code lvm} binary.
 */
sealed interface LvmRunner permits InProcessLvmRunner, CommandLvmRunner {
    /**
     * Runs {@code args} (subcommand first, no leading {@code lvm}).
     *
     * @throws RuntimeException the lower layer's exception when the command could not run at all
     */
    LvmOutput run(List<String> args);

    /** For notes and messages: {@code liblvm2cmd (in-process)} or {@code the lvm command}. */
    String description();
}
