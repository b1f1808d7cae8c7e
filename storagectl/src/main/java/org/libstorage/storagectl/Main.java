package org.libstorage.storagectl;

import java.io.Console;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import org.libstorage.Storage;

/** Runs storagectl: {@code bin/storagectl VERB ...}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        Charset charset = console != null ? console.charset() : Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, charset), false);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, charset), true);
        System.exit(Storagectl.run(args, Storage::open, terminal, out, err));
    }
}
