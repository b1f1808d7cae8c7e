package org.libstorage.backends.logical;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * What one LVM command did, whichever runner ran it.
 *
 * @param args the arguments as run (subcommand first)
 * @param succeeded whether LVM reported success (ECMD_PROCESSED, exit status 0)
 * @param invalidParameters whether LVM refused the command line itself (EINVALID_CMD_LINE)
 * @param reportText the JSON report (including the command log report) as LVM printed it
 * @param diagnostics LVM's error and warning lines outside the report, in order
 * @param failure builds the lower layer's exception (NativeCallException or CommandException)
 *        carrying everything the runner knew, given a one-line summary
 */
record LvmOutput(List<String> args, boolean succeeded, boolean invalidParameters, String reportText,
                 List<String> diagnostics, Function<String, RuntimeException> failure) {
    LvmOutput {
        args = List.copyOf(args);
        Objects.requireNonNull(reportText, "reportText");
        diagnostics = List.copyOf(diagnostics);
        Objects.requireNonNull(failure, "failure");
    }

    String subcommand() {
        return args.isEmpty() ? "" : args.getFirst();
    }
}
