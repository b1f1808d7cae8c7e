package org.libstorage.backends.logical;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.backends.LowerLayerErrors;
import org.libstorage.lower.LowerLayerException;
import org.libstorage.lower.CommandException;
import org.libstorage.nativelib.NativeCallException;

/**
 * Runs LVM commands for the logical backend: adds the JSON report format and the configuration
 * every command needs, routes each command to the runner allowed to run it, and turns failures
 * into {@link StorageException}s that keep LVM's own message and the lower layer's facts.
 */
final class Lvm {
    /** What a command may do to the kernel's device-mapper devices. */
    enum Effect {
        /** Reads or writes LVM metadata only. */
        METADATA,
        /**
         * May activate, deactivate or suspend device-mapper devices (vgchange/lvchange -a,
         * lvcreate, lvremove, lvresize, snapshots). Such commands never run in-process: LVM calls
         * mlockall() around its critical sections, which would lock the whole JVM's memory, and
         * a suspended device inside the JVM's own process could deadlock it.
         */
        DEVICES
    }

    private final LvmRunner runner;
    private final LvmRunner deviceRunner;
    private final LvmSettings settings;
    private final Optional<LowerLayerException> inProcessFailure;

    /**
     * @param runner       runs metadata commands (in-process when liblvm2cmd is present)
     * @param deviceRunner runs commands that touch devices when activation is on: the lvm binary
     */
    Lvm(LvmRunner runner, LvmRunner deviceRunner, LvmSettings settings) {
        this(runner, deviceRunner, settings, Optional.empty());
    }

    /** @param inProcessFailure why liblvm2cmd, although installed, could not be used (kept for status and --debug) */
    Lvm(LvmRunner runner, LvmRunner deviceRunner, LvmSettings settings, Optional<LowerLayerException> inProcessFailure) {
        this.runner = runner;
        this.deviceRunner = deviceRunner;
        this.settings = settings;
        this.inProcessFailure = inProcessFailure;
    }

    Optional<LowerLayerException> inProcessFailure() {
        return inProcessFailure;
    }

    LvmSettings settings() {
        return settings;
    }

    LvmRunner runner() {
        return runner;
    }

    /** The outcome of one command with its parsed report. */
    record Outcome(LvmOutput output, LvmReport report) {
        boolean succeeded() {
            return output.succeeded();
        }
    }

    /** Runs {@code lvm <subcommand> <args>}, successful or not. */
    Outcome run(Effect effect, String subcommand, List<String> args) {
        List<String> full = new ArrayList<>(args.size() + 6);
        full.add(subcommand);
        boolean json = acceptsReportFormat(subcommand, args);
        if (json) {
            full.add("--reportformat");
            full.add("json");
        }
        full.add("--config");
        full.add(settings.configString(json));
        full.addAll(args);
        // With activation off LVM never touches device-mapper, so nothing can lock memory.
        LvmRunner chosen = effect == Effect.DEVICES && settings.activation() ? deviceRunner : runner;
        LvmOutput output = runOrThrow(chosen, subcommand, full);
        LvmReport report;
        try {
            report = LvmReport.parse(output.reportText());
        } catch (IllegalArgumentException e) {
            if (!output.succeeded()) {
                report = LvmReport.EMPTY;
            } else {
                throw new StorageException(ErrorCode.INTERNAL_ERROR, null, null,
                        "LVM's " + subcommand + " report could not be read: " + e.getMessage(), e);
            }
        }
        return new Outcome(output, report);
    }

    /**
     * Whether LVM takes {@code --reportformat} for this command. lvcreate refuses it ("Option
     * --reportformat is unsupported with snapshots", "... with thin pools") for every LV it makes
     * through a thin pool or as a snapshot; those commands report nothing anyway, and their
     * failures are read from LVM's error lines instead.
     */
    static boolean acceptsReportFormat(String subcommand, List<String> args) {
        if (!subcommand.equals("lvcreate")) {
            return true;
        }
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("-s") || arg.equals("--snapshot") || arg.equals("-T") || arg.equals("--thin")
                    || arg.equals("--thinpool")) {
                return false;
            }
            if (arg.equals("--type") && i + 1 < args.size()
                    && (args.get(i + 1).startsWith("thin") || args.get(i + 1).equals("snapshot"))) {
                return false;
            }
        }
        return true;
    }

    /** Runs the command; a command that could not run at all becomes a StorageException. */
    private static LvmOutput runOrThrow(LvmRunner runner, String subcommand, List<String> args) {
        try {
            return runner.run(args);
        } catch (IllegalArgumentException e) {
            // liblvm2cmd takes one command line that LVM splits again; an argument holding
            // whitespace and both kinds of quote cannot survive that.
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, null,
                    "LVM's " + subcommand + " cannot be given this argument in-process: " + e.getMessage() + ".", e);
        } catch (LowerLayerException e) {
            // No object or operation here: the core fills in the user's (vol-create, not lvcreate).
            throw LowerLayerErrors.map(e, null, null, "run LVM's " + subcommand + " through " + runner.description());
        }
    }

    /** Runs a command and returns its report, or throws the mapped failure. */
    LvmReport require(Effect effect, String subcommand, List<String> args, String object, String operation) {
        Outcome outcome = run(effect, subcommand, args);
        if (!outcome.succeeded()) {
            throw failure(outcome, object, operation);
        }
        return outcome.report();
    }

    /** A report command ({@code vgs}, {@code lvs}, {@code pvs}) with byte units and the given fields. */
    LvmReport report(String subcommand, String fields, List<String> extra, String object, String operation) {
        List<String> args = new ArrayList<>(List.of("--units", "b", "--nosuffix", "-o", fields));
        args.addAll(extra);
        return require(Effect.METADATA, subcommand, args, object, operation);
    }

    /**
     * The failure of {@code outcome} as a {@link StorageException}: a code chosen from LVM's own
     * messages, one sentence quoting LVM, and as cause the runner's exception (liblvm2cmd's
     * log lines with their source locations, or the lvm command's argv, status and stderr).
     */
    StorageException failure(Outcome outcome, String object, String operation) {
        List<String> messages = lvmMessages(outcome);
        String lvmSays = messages.isEmpty() ? "no message" : String.join("; ", messages);
        RuntimeException cause = outcome.output().failure().apply(lvmSays);
        ErrorCode code = classify(outcome.output(), messages, cause);
        String sentence = "LVM " + outcome.output().subcommand() + " failed" + (object == null ? "" : " for " + object)
                + ": " + lvmSays + (lvmSays.endsWith(".") ? "" : ".");
        if (code == ErrorCode.OPERATION_UNSUPPORTED && !settings.activation()) {
            // LVM says what it could not do (activate a thin pool, ...); this says why.
            sentence = "device-mapper is not available in this kernel, so LVM runs with activation=0: " + sentence;
        }
        return new StorageException(code, object, operation, sentence, cause);
    }

    /** LVM's error messages: the command log's error rows, else its error lines. */
    static List<String> lvmMessages(Outcome outcome) {
        List<String> fromLog = outcome.report().errors().stream().map(LvmReport.LogRow::message)
                .filter(m -> !m.equals("failure")).distinct().toList();
        if (!fromLog.isEmpty()) {
            return fromLog;
        }
        return outcome.output().diagnostics().stream()
                .map(Lvm::withoutLocation)
                .filter(m -> !m.startsWith("WARNING:") && !m.startsWith("Run `") && !m.isBlank())
                .distinct().toList();
    }

    /** liblvm2cmd's lines read {@code file.c:123: message}; the lvm command's have no location. */
    private static String withoutLocation(String line) {
        int c = line.indexOf(".c:");
        if (c > 0 && !line.substring(0, c).contains(" ")) {
            int colon = line.indexOf(": ", c + 3);
            if (colon > 0) {
                return line.substring(colon + 2);
            }
        }
        return line;
    }

    static ErrorCode classify(LvmOutput output, List<String> messages, RuntimeException cause) {
        for (String message : messages) {
            String m = message.toLowerCase(Locale.ROOT);
            if (m.contains("device-mapper") || m.startsWith("cannot activate")) {
                return ErrorCode.OPERATION_UNSUPPORTED;
            }
            if (m.contains("insufficient free space") || m.contains("insufficient suitable")
                    || m.contains("not enough free")) {
                return ErrorCode.NO_SPACE;
            }
            if (m.startsWith("logical volume") && m.contains("already exists")) {
                return ErrorCode.VOLUME_EXISTS;
            }
            if (m.contains("volume group called") && m.contains("already exists")) {
                return ErrorCode.POOL_EXISTS;
            }
            if (m.contains("is already in volume group") || m.contains("of volume group")
                    || m.contains("is used by vg") || m.contains("in use") || m.contains("exclusively")) {
                return ErrorCode.DEVICE_BUSY;
            }
            if (m.startsWith("volume group") && m.contains("not found")) {
                return ErrorCode.NO_SUCH_POOL;
            }
            if (m.contains("failed to find logical volume")) {
                return ErrorCode.NO_SUCH_VOLUME;
            }
            if (m.contains("no device found") || m.contains("cannot use") && m.contains("not found")) {
                return ErrorCode.NO_SUCH_DEVICE;
            }
            if (m.contains("is invalid") || m.contains("invalid") && m.contains("name")) {
                return ErrorCode.INVALID_ARGUMENT;
            }
        }
        if (output.invalidParameters()) {
            return ErrorCode.INVALID_ARGUMENT;
        }
        return cause instanceof NativeCallException ? ErrorCode.NATIVE_FAILURE : ErrorCode.COMMAND_FAILED;
    }

    /** The first report row of {@code section}, if any. */
    static Optional<LvmReport.Row> first(LvmReport report, String section) {
        return report.section(section).stream().findFirst();
    }
}
