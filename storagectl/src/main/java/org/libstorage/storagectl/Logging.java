package org.libstorage.storagectl;

import java.io.PrintStream;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What the library logs, as storagectl shows it: a warning is one line on stderr
 * ({@code warning: ...}); the stack trace that came with it, and debug messages, only with
 * {@code --debug}. Without this the JDK's default handler prints every logged exception's trace,
 * which a user must never see unasked.
 */
final class Logging {
    private Logging() {
    }

    static void configure(boolean debug, PrintStream err) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(debug ? Level.FINE : Level.WARNING);
        root.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (!isLoggable(record)) {
                    return;
                }
                String message = new java.util.logging.SimpleFormatter().formatMessage(record);
                err.println((record.getLevel().intValue() >= Level.WARNING.intValue() ? "warning: " : "debug: ") + message);
                if (debug && record.getThrown() != null) {
                    record.getThrown().printStackTrace(err);
                }
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {
                flush();
            }
        });
    }
}
