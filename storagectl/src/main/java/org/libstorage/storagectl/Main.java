package org.libstorage.storagectl;

import java.io.Console;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.concurrent.atomic.AtomicBoolean;
import org.libstorage.Storage;

/** Runs storagectl: {@code bin/storagectl VERB ...}. */
public final class Main {
    private static final long CLEAN_UP_MILLIS = 10_000;

    private Main() {
    }

    public static void main(String[] args) {
        Logging.configure(java.util.Arrays.asList(args).contains("--debug"), System.err);
        Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        Charset charset = console != null ? console.charset() : Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, charset), false);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, charset), true);
        // Ctrl-C: interrupt the verb so a clone, wipe or transfer stops as the library promises
        // (CANCELLED, no partial volume left), and give it a moment to clean up before exiting.
        Thread verb = Thread.currentThread();
        AtomicBoolean finished = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!finished.get()) {
                verb.interrupt();
                try {
                    verb.join(CLEAN_UP_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "storagectl-interrupt"));
        int status = Storagectl.run(args, Storage::open, terminal, new InputStreamReader(System.in, charset), out, err);
        finished.set(true);
        System.exit(status);
    }
}
