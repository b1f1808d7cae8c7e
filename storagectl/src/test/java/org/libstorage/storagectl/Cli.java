package org.libstorage.storagectl;

import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;

/** Runs storagectl in-process against a given storage, capturing what it prints and its exit status. */
final class Cli {
    private final Function<StorageConfig, Storage> opener;
    private final boolean terminal;
    final List<StorageConfig> configsOpened = new ArrayList<>();

    Cli(Function<StorageConfig, Storage> opener, boolean terminal) {
        this.opener = opener;
        this.terminal = terminal;
    }

    Cli(Storage storage) {
        this(config -> storage, false);
    }

    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    Result run(String... args) {
        return runWithInput("", args);
    }

    /** Runs with {@code --config-dir config} before {@code args}, as the end-to-end tests do. */
    Result runIn(Path config, String... args) {
        String[] argv = new String[args.length + 2];
        argv[0] = "--config-dir";
        argv[1] = config.toString();
        System.arraycopy(args, 0, argv, 2, args.length);
        return run(argv);
    }

    /** Runs with {@code input} as standard input (for batch and shell). */
    Result runWithInput(String input, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Storagectl.run(args, config -> {
            configsOpened.add(config);
            return opener.apply(config);
        }, terminal, new StringReader(input), new PrintWriter(out), new PrintWriter(err));
        return new Result(status, out.toString(), err.toString());
    }
}
