package org.libstorage.storagectl;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Prints a bash/zsh completion script for every verb and option. */
@Command(name = "completion",
        description = {"Prints a bash (and zsh) completion script for storagectl's verbs and options.",
            "Install it with: storagectl completion > /etc/bash_completion.d/storagectl"})
final class Completion implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().print(AutoComplete.bash("storagectl", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
    }
}
