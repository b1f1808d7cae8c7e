package org.libstorage.storagectl;

import java.io.PrintWriter;
import org.libstorage.ProgressListener;

/**
 * A one-line progress bar redrawn in place on stderr, for long operations run at a terminal.
 * It redraws only when the shown tenth of a percent changes, so a fast copy does not spend its
 * time printing. {@link #close()} ends the line; a bar that never drew prints nothing.
 */
final class ProgressBar implements ProgressListener, AutoCloseable {
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private long shownPermille = -1;
    private long shownDone = -1;
    private boolean drawn;

    private ProgressBar(PrintWriter err, String label) {
        this.err = err;
        this.label = label;
    }

    /** A bar drawing on {@code err} when {@code enabled}; otherwise a listener that ignores progress. */
    static ProgressBar create(PrintWriter err, boolean enabled, String label) {
        return enabled ? new ProgressBar(err, label) : new ProgressBar(null, label);
    }

    @Override
    public void progress(long done, long total) {
        if (err == null) {
            return;
        }
        if (total > 0) {
            long permille = Math.min(1000, Math.max(0, done * 1000 / total));
            if (permille == shownPermille) {
                return;
            }
            shownPermille = permille;
            int filled = (int) (permille * WIDTH / 1000);
            String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
            draw(String.format("%s [%s] %3d%%  %s / %s", label, bar, permille / 10, Sizes.human(done), Sizes.human(total)));
        } else {
            // Unknown total: show bytes done, redrawing at most once per MiB.
            if (shownDone >= 0 && done - shownDone < (1 << 20)) {
                return;
            }
            shownDone = done;
            draw(label + "  " + Sizes.human(done));
        }
    }

    private void draw(String line) {
        err.print("\r" + line + "\u001b[K");
        err.flush();
        drawn = true;
    }

    @Override
    public void close() {
        if (drawn) {
            err.println();
            err.flush();
            drawn = false;
        }
    }
}
