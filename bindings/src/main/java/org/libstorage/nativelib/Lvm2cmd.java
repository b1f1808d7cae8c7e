package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.libstorage.bindings.lvm2cmd.lvm2_log_fn_t;
import org.libstorage.bindings.lvm2cmd.lvm2cmd_h;

/**
 * LVM's command engine in-process, through liblvm2cmd ({@code lvm2cmd.h}).
 *
 * <p>liblvm2cmd keeps process-wide state (one log function, one command context, the umask it
 * sets), so there is exactly one {@code Lvm2cmd} per process, obtained with {@link #shared()}. It
 * owns the single handle from {@code lvm2_init_threaded} and one dedicated thread: every call,
 * including the handle's creation, runs on that thread, one at a time. The threaded init matters:
 * it stops LVM from reopening stdin/stdout with its own buffers, which would change the JVM's
 * standard streams.
 *
 * <p>Everything LVM says arrives through the log callback, an FFM upcall: the report
 * ({@code --reportformat json}) as lines at {@link #LOG_PRINT}, errors and warnings with the
 * source file and line that raised them. Messages above the call's log level are dropped in the
 * upcall before any string is read, so debug chatter costs nothing.
 *
 * <p>Never run a command here that activates or suspends device-mapper devices: LVM calls
 * {@code mlockall()} around those critical sections, which would pin the whole JVM's memory.
 * Callers route such commands to the {@code lvm} binary instead.
 */
public final class Lvm2cmd {
    public static final String SONAME = "liblvm2cmd.so.2.03";
    public static final String DEBIAN_PACKAGE = "liblvm2cmd2.03";

    /** LVM's log levels, as passed to the callback. */
    public static final int LOG_FATAL = 2;
    public static final int LOG_ERROR = 3;
    /** Report lines and ordinary output (warnings come at this level too). */
    public static final int LOG_PRINT = 4;
    public static final int LOG_VERBOSE = 5;
    public static final int LOG_DEBUG = 7;

    private static final String FUNCTION_RUN = "lvm2_run";
    /** The LVM source file whose print-level lines are the report (--reportformat json). */
    private static final String REPORT_SOURCE = "libdm-report.c";

    private final ExecutorService thread;
    /** The handle; touched only on {@link #thread}. */
    private final MemorySegment handle;
    /** Collects the current call's output; touched only on {@link #thread}. */
    private final Collector collector;
    /** Set at JVM shutdown, after lvm2_exit; touched only on {@link #thread}. */
    private boolean exited;

    /** How one command ended, from lvm2_run's return value (LVM's ECMD_* codes). */
    public enum ExitClass {
        SUCCEEDED(1), NO_SUCH_COMMAND(2), INVALID_PARAMETERS(3), INIT_FAILED(4), PROCESSING_FAILED(5), OTHER(-1);

        private final int code;

        ExitClass(int code) {
            this.code = code;
        }

        /** LVM's own return code for this class (ECMD_PROCESSED=1, ...). */
        public int code() {
            return code;
        }

        static ExitClass of(int code) {
            for (ExitClass c : values()) {
                if (c.code == code) {
                    return c;
                }
            }
            return OTHER;
        }
    }

    /**
     * One message from LVM's log: its level (see the {@code LOG_} constants), the LVM source file
     * and line that raised it, the errno LVM attached (0 when none) and the text.
     */
    public record LogLine(int level, String file, int line, int errno, String message) {
        public LogLine {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(message, "message");
        }

        /** An error or worse. */
        public boolean isError() {
            return level <= LOG_ERROR;
        }

        @Override
        public String toString() {
            return file + ":" + line + ": " + message;
        }
    }

    /**
     * What one {@code lvm2_run} did: its exit class and raw return code, the report text (every
     * line LVM printed at {@link #LOG_PRINT}, which is where {@code --reportformat json} goes),
     * and every other message at or below the call's log level with its source location.
     */
    public record Result(ExitClass exitClass, int returnCode, String report, List<LogLine> messages) {
        public Result {
            Objects.requireNonNull(exitClass, "exitClass");
            Objects.requireNonNull(report, "report");
            messages = List.copyOf(messages);
        }

        public boolean succeeded() {
            return exitClass == ExitClass.SUCCEEDED;
        }

        /** The error lines, for messages. */
        public List<LogLine> errors() {
            return messages.stream().filter(LogLine::isError).toList();
        }
    }

    private Lvm2cmd(ExecutorService thread, MemorySegment handle, Collector collector) {
        this.thread = thread;
        this.handle = handle;
        this.collector = collector;
    }

    /**
     * Why liblvm2cmd cannot be used here, or empty when it can. Probes the library once (without
     * touching the generated bindings, so a missing library never surfaces as a linkage error).
     */
    public static Optional<String> unavailableReason() {
        return Probe.LIBRARY.unavailableReason();
    }

    /**
     * The process's one liblvm2cmd instance, created on first use.
     *
     * @throws LibraryUnavailableException when the library is missing
     * @throws NativeCallException when {@code lvm2_init_threaded} fails
     */
    public static Lvm2cmd shared() {
        Probe.LIBRARY.requireAvailable();
        Created created = Shared.INSTANCE;
        if (created.lvm() == null) {
            throw created.failure();
        }
        return created.lvm();
    }

    /** The one instance, or why there is none. */
    private record Created(Lvm2cmd lvm, NativeCallException failure) {
    }

    /**
     * Runs one LVM command, such as {@code ["vgs", "--reportformat", "json", "vg0"]} (no leading
     * {@code lvm}), keeping messages up to {@code maxLevel}. The process umask is the same after
     * the call as before.
     *
     * @throws IllegalArgumentException when an argument cannot pass LVM's command-line splitter
     *         (it contains both kinds of quote and whitespace, or a NUL)
     * @throws NativeCallException when the call could not be made at all
     */
    public Result run(List<String> args, int maxLevel) {
        String commandLine = commandLine(args);
        Future<Result> future = thread.submit(() -> runOnThread(commandLine, maxLevel));
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    // An LVM command cannot be stopped half-way safely: wait for it, then re-assert.
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            // An Error on LVM's thread (an upcall that failed, out of memory): keep it as the cause.
            throw new NativeCallException(SONAME, FUNCTION_RUN, 0, "", "the call failed on LVM's thread", cause);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Result runOnThread(String commandLine, int maxLevel) {
        if (exited) {
            throw new NativeCallException(SONAME, FUNCTION_RUN, 0, "", "the JVM is shutting down and LVM was released");
        }
        try (Arena arena = Arena.ofConfined()) {
            int umask = lvm2cmd_h.umask(0);
            lvm2cmd_h.umask(umask);
            collector.start(maxLevel);
            int rc;
            try {
                rc = lvm2cmd_h.lvm2_run(handle, arena.allocateFrom(commandLine));
            } finally {
                // lvm2_run sets its own umask (0077) and leaves it behind.
                lvm2cmd_h.umask(umask);
            }
            return collector.finish(ExitClass.of(rc), rc);
        }
    }

    /**
     * Unhooks the log callback and releases the handle at JVM shutdown. The callback goes first:
     * LVM's library destructors run inside exit(3) on the JVM's VM thread, after every Java thread
     * has stopped, and one that logs through the upcall there aborts the JVM ("wrong thread state
     * for upcall", seen in the lab). The callback pointer is cleared again from the hook's own
     * thread whatever happened on LVM's (a rejected task, a command still running): it is a plain
     * store in the library, and without a callback LVM writes its few exit messages to stderr.
     */
    private void exit() {
        try {
            thread.submit(() -> {
                if (!exited) {
                    exited = true;
                    lvm2cmd_h.lvm2_log_fn(MemorySegment.NULL);
                    lvm2cmd_h.lvm2_exit(handle);
                }
            }).get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.RejectedExecutionException
                 | java.util.concurrent.TimeoutException e) {
            // Nothing more can be done while the JVM exits, but the callback must still go.
        } finally {
            lvm2cmd_h.lvm2_log_fn(MemorySegment.NULL);
        }
    }

    /**
     * Joins arguments into the single string lvm2_run splits again (LVM's lvm_split: whitespace
     * separates, a quote opening an argument runs to the same quote, no escapes).
     */
    static String commandLine(List<String> args) {
        StringBuilder line = new StringBuilder();
        for (String arg : args) {
            if (!line.isEmpty()) {
                line.append(' ');
            }
            line.append(quote(arg));
        }
        return line.toString();
    }

    private static String quote(String arg) {
        if (arg.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("an LVM argument cannot contain NUL");
        }
        boolean plain = !arg.isEmpty() && arg.chars().noneMatch(Character::isWhitespace)
                && arg.charAt(0) != '\'' && arg.charAt(0) != '"' && arg.charAt(0) != '#';
        if (plain) {
            return arg;
        }
        if (arg.indexOf('\'') < 0) {
            return "'" + arg + "'";
        }
        if (arg.indexOf('"') < 0) {
            return '"' + arg + '"';
        }
        throw new IllegalArgumentException("an LVM argument cannot contain whitespace and both kinds of quote: " + arg);
    }

    /** Receives the log upcalls of the running command. Lives on the LVM thread only. */
    private static final class Collector {
        private int maxLevel = LOG_PRINT;
        private StringBuilder report = new StringBuilder();
        private List<LogLine> messages = new ArrayList<>();

        void start(int level) {
            maxLevel = level;
            report = new StringBuilder();
            messages = new ArrayList<>();
        }

        Result finish(ExitClass exitClass, int rc) {
            Result result = new Result(exitClass, rc, report.toString(), messages);
            report = new StringBuilder();
            messages = new ArrayList<>();
            return result;
        }

        /** The upcall. It must never throw: an exception escaping an upcall ends the JVM. */
        void log(int level, MemorySegment file, int line, int errno, MemorySegment message) {
            try {
                // LVM ORs flags into the level's upper bits (_LOG_STDERR and friends).
                int plainLevel = level & 0x0f;
                if (plainLevel > maxLevel) {
                    return;
                }
                String text = string(message);
                String source = string(file);
                // The report is what libdm's reporter prints; warnings share its level, and
                // LVM may log them between two report lines.
                if (plainLevel == LOG_PRINT && source.endsWith(REPORT_SOURCE)) {
                    report.append(text).append('\n');
                } else {
                    messages.add(new LogLine(plainLevel, source, line, errno, text));
                }
            } catch (Throwable t) {
                // Dropping one message is better than ending the process.
            }
        }

        private static String string(MemorySegment pointer) {
            if (pointer.equals(MemorySegment.NULL)) {
                return "";
            }
            return pointer.reinterpret(Integer.MAX_VALUE).getString(0);
        }
    }

    /** Loads the library once, lazily, so that class loading alone never touches native code. */
    private static final class Probe {
        static final NativeLibrary LIBRARY = NativeLibrary.probe("liblvm2cmd", SONAME, DEBIAN_PACKAGE);
    }

    /**
     * Creates the handle on a new dedicated thread. A method of the outer class on purpose: the
     * task runs on another thread, and code of a holder class still being initialised would
     * deadlock there.
     */
    private static Created create() {
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "liblvm2cmd");
            t.setDaemon(true);
            return t;
        });
        Collector collector = new Collector();
        try {
            MemorySegment handle = thread.submit(() -> {
                // The upcall stub must outlive every call: the library keeps the pointer.
                MemorySegment callback = lvm2_log_fn_t.allocate(collector::log, Arena.global());
                lvm2cmd_h.lvm2_log_fn(callback);
                int umask = lvm2cmd_h.umask(0);
                lvm2cmd_h.umask(umask);
                try {
                    return lvm2cmd_h.lvm2_init_threaded();
                } finally {
                    lvm2cmd_h.umask(umask);
                }
            }).get();
            if (handle.equals(MemorySegment.NULL)) {
                thread.shutdown();
                return new Created(null, new NativeCallException(SONAME, "lvm2_init_threaded", 0, "",
                        "LVM could not initialise its command context (it returned no handle)"));
            }
            thread.submit(() -> lvm2cmd_h.lvm2_disable_dmeventd_monitoring(handle)).get();
            Lvm2cmd lvm = new Lvm2cmd(thread, handle, collector);
            Runtime.getRuntime().addShutdownHook(new Thread(lvm::exit, "liblvm2cmd-exit"));
            return new Created(lvm, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdown();
            return new Created(null, new NativeCallException(SONAME, "lvm2_init_threaded", 0, "",
                    "interrupted while LVM initialised", e));
        } catch (ExecutionException e) {
            thread.shutdown();
            return new Created(null, new NativeCallException(SONAME, "lvm2_init_threaded", 0, "",
                    "LVM's initialisation failed on its thread", e.getCause()));
        }
    }

    /** The process's instance, created on first use. */
    private static final class Shared {
        static final Created INSTANCE = create();
    }
}
