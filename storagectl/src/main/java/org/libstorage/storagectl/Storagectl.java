package org.libstorage.storagectl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Function;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code storagectl} command: global options, and what every verb shares (the opened
 * {@link Storage}, output streams, progress bars, pool lookup). Verbs reach it through
 * {@code @ParentCommand}.
 */
@Command(name = "storagectl",
        versionProvider = Storagectl.Version.class,
        usageHelpAutoWidth = true,
        sortOptions = false,
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success", "2:bad input or usage (name, size, option, definition)",
            "3:not found (pool, volume, device)", "4:conflict (already exists, busy)",
            "5:wrong state (pool active or not)", "6:unsupported here (operation, backend)",
            "7:out of a resource (no space, timeout)", "8:permission denied", "9:cancelled",
            "10:system failure (native call, command, I/O)",
            "130:stopped by SIGINT (Ctrl-C), cancelled cleanly", "143:stopped by SIGTERM, cancelled cleanly"},
        description = {
            "Manages host storage as pools that hand out volumes, with virsh's verbs, in-process (no daemon).",
            "Try 'storagectl tour' for a guided run on a throwaway directory pool."})
final class Storagectl implements Runnable {

    @Option(names = "--config-dir", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Keep definitions and run-time state under DIR instead of /etc/libstorage "
                    + "and /run/libstorage (root) or the XDG directories (others).")
    Path configDir;

    @Option(names = "--backend-option", paramLabel = "KEY=VALUE", scope = ScopeType.INHERIT,
            description = "Set a backend option; repeatable. lvm.engine=command runs LVM through the lvm "
                    + "command only (auto: in-process through liblvm2cmd where it loads), lvm.config=TEXT "
                    + "adds LVM configuration, zfs.refresh=command refreshes zfs pools with zfs list.")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print lists and info as JSON, for programs.")
    boolean json;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print the stack trace and causes of an error.")
    boolean debug;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version.")
    boolean version;

    @Spec
    CommandSpec spec;

    private final Function<StorageConfig, Storage> opener;
    private final boolean terminal;
    private final boolean closesStorage;
    private final Reader in;
    private BufferedReader lines;
    private Storage storage;

    /**
     * @param opener opens the storage for a configuration ({@code Storage::open}; tests pass fakes)
     * @param terminal whether stdin and stdout are a terminal, which turns progress bars and the
     *     shell's prompt on
     * @param closesStorage whether to close the storage after the verb (not when the caller shares one)
     * @param in standard input, which batch and shell read commands from
     */
    Storagectl(Function<StorageConfig, Storage> opener, boolean terminal, boolean closesStorage, Reader in) {
        this.opener = opener;
        this.terminal = terminal;
        this.closesStorage = closesStorage;
        this.in = in;
    }

    Storagectl(Function<StorageConfig, Storage> opener, boolean terminal, boolean closesStorage) {
        this(opener, terminal, closesStorage, Reader.nullReader());
    }

    /**
     * Builds the command line that runs {@code args}, with storagectl's error handling: one line
     * per error, exit status per category. It holds only the verb {@code args} names when that
     * is enough (see {@link Verbs#only}), every verb otherwise.
     */
    static CommandLine commandLine(Storagectl root, PrintWriter out, PrintWriter err, String[] args) {
        CommandLine cl = new CommandLine(root);
        Optional<String> only = Verbs.only(args);
        for (String verb : only.map(List::of).orElse(Verbs.NAMES)) {
            cl.addSubcommand(Verbs.make(verb));
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST_HEADING, help -> "");
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Storagectl::groupedVerbs);
        // Every verb takes --help ("storagectl help VERB" works too); the help verb has its own.
        cl.getSubcommands().forEach((name, sub) -> {
            CommandSpec verb = sub.getCommandSpec();
            if (!(verb.userObject() instanceof CommandLine.HelpCommand) && verb.findOption("--help") == null) {
                verb.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help.").build());
            }
        });
        // "vol-resize VOL -1G --delta --shrink" shrinks by 1 GiB, as in virsh: -1G is a value, not an option.
        CommandLine resize = cl.getSubcommands().get("vol-resize");
        if (resize != null) {
            resize.setUnmatchedOptionsArePositionalParams(true);
        }
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> root.report(e));
        cl.setParameterExceptionHandler((e, badArgs) -> {
            CommandLine failed = e.getCommandLine();
            err.println("error: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for more information.");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        return cl;
    }

    /** The verbs by what they act on, as virsh groups its help. */
    private static String groupedVerbs(CommandLine.Help help) {
        Map<String, java.util.function.Predicate<String>> groups = new LinkedHashMap<>();
        groups.put("Pools", n -> n.startsWith("pool-") || n.equals("find-pool-sources"));
        groups.put("Volumes", n -> n.startsWith("vol-"));
        groups.put("Host", n -> n.equals("host-devices") || n.equals("backends") || n.equals("event"));
        groups.put("Other", n -> true);
        Map<String, CommandLine.Help> left = new LinkedHashMap<>(help.subcommands());
        StringBuilder text = new StringBuilder();
        groups.forEach((title, member) -> {
            Map<String, CommandLine.Help> group = new LinkedHashMap<>();
            left.entrySet().removeIf(e -> member.test(e.getKey()) && group.put(e.getKey(), e.getValue()) == null);
            if (!group.isEmpty()) {
                text.append(title).append(":%n".formatted()).append(help.commandList(group));
            }
        });
        return text.toString();
    }

    /** Runs storagectl with {@code args}; returns the exit status. */
    static int run(String[] args, Function<StorageConfig, Storage> opener, boolean terminal,
                   Reader in, PrintWriter out, PrintWriter err) {
        Storagectl root = new Storagectl(opener, terminal, true, in);
        try {
            return commandLine(root, out, err, args).execute(args);
        } finally {
            root.closeStorage();
            out.flush();
            err.flush();
        }
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing verb: name one, such as pool-list or tour.");
    }

    /** The storage for the chosen configuration, opened on first use. */
    Storage storage() {
        if (storage == null) {
            requireUsableConfigDir();
            StorageConfig config = configDir != null ? StorageConfig.ofDirectory(configDir.toAbsolutePath())
                    : StorageConfig.defaults();
            for (Map.Entry<String, String> option : backendOptions.entrySet()) {
                if (option.getKey().isBlank()) {
                    throw new ParameterException(spec.commandLine(), "--backend-option '=" + option.getValue()
                            + "' has no key; write KEY=VALUE, such as lvm.engine=command.");
                }
                config = config.withBackendOption(option.getKey(), option.getValue());
            }
            storage = opener.apply(config);
        }
        return storage;
    }

    /** An empty --config-dir would mean the current directory, and a file one would hold nothing: both are mistakes. */
    private void requireUsableConfigDir() {
        if (configDir == null) {
            return;
        }
        if (configDir.toString().isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--config-dir is empty; name a directory.");
        }
        if (java.nio.file.Files.exists(configDir) && !java.nio.file.Files.isDirectory(configDir)) {
            throw new ParameterException(spec.commandLine(), "--config-dir " + configDir + " is not a directory.");
        }
    }

    boolean json() {
        return json;
    }

    boolean debug() {
        return debug;
    }

    /** Standard input as lines, for batch and shell. */
    BufferedReader in() {
        if (lines == null) {
            lines = in instanceof BufferedReader b ? b : new BufferedReader(in);
        }
        return lines;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A progress bar for a long operation; draws only when stdout is a terminal. */
    ProgressBar progress(String label) {
        return ProgressBar.create(err(), terminal, label);
    }

    Function<StorageConfig, Storage> opener() {
        return opener;
    }

    boolean terminal() {
        return terminal;
    }

    /** The pool named {@code nameOrUuid}, looked up by name first and then by UUID, as virsh does. */
    Pool pool(String nameOrUuid) {
        Optional<Pool> byName = storage().pool(nameOrUuid);
        if (byName.isPresent()) {
            return byName.get();
        }
        return parseUuid(nameOrUuid).flatMap(storage()::poolByUuid).orElseThrow(() ->
                new StorageException(ErrorCode.NO_SUCH_POOL, "pool '" + nameOrUuid + "'", null,
                        "No pool is named '" + nameOrUuid + "' or has that UUID; 'storagectl pool-list --all' lists them."));
    }

    private static Optional<UUID> parseUuid(String text) {
        try {
            return text.length() == 36 ? Optional.of(UUID.fromString(text)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private void closeStorage() {
        if (storage != null && closesStorage) {
            Storage s = storage;
            storage = null;
            s.close();
        }
    }

    /** Prints {@code e} as one line (plus its trace with --debug) and returns the exit status for it. */
    int report(Exception e) {
        PrintWriter err = spec.commandLine().getErr();
        int status;
        if (e instanceof StorageException se) {
            err.println("error: " + se.getMessage());
            status = se.code().category().exitStatus();
        } else if (e instanceof java.nio.channels.ClosedByInterruptException || e instanceof InterruptedException) {
            err.println("error: Interrupted; the operation was stopped.");
            status = ErrorCode.CANCELLED.category().exitStatus();
        } else if (e instanceof UncheckedIOException || e instanceof IOException) {
            Throwable io = e instanceof UncheckedIOException u ? u.getCause() : e;
            err.println("error: " + describe(io));
            status = ErrorCode.IO_ERROR.category().exitStatus();
        } else {
            // Not a failure the library describes: a bug, so point at the trace.
            err.println("error: internal error: " + e);
            if (!debug) {
                err.println("(run again with --debug for the stack trace)");
            }
            status = ErrorCode.INTERNAL_ERROR.category().exitStatus();
        }
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
        return status;
    }

    /** An I/O failure as one sentence: the JDK's file exceptions carry only the path as message. */
    static String describe(Throwable io) {
        return switch (io) {
            case java.nio.file.NoSuchFileException e -> e.getFile() + ": no such file or directory";
            case java.nio.file.AccessDeniedException e -> e.getFile() + ": permission denied";
            case java.nio.file.FileAlreadyExistsException e -> e.getFile() + ": already exists";
            case java.nio.file.NotDirectoryException e -> e.getFile() + ": not a directory";
            default -> String.valueOf(io.getMessage());
        };
    }

    /** Prints the version of storagectl and of the Java runtime. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties props = new Properties();
            try (InputStream in = Storagectl.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    props.load(in);
                }
            }
            return new String[] {
                "storagectl " + props.getProperty("version", "(unknown version)"),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")"};
        }
    }
}
