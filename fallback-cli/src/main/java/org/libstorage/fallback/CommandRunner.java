package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a command-line tool safely: an argv, never a shell; the executable looked up on PATH
 * and then in /usr/sbin and /sbin (where the root tools live even when PATH omits them); the
 * environment inherited with {@code LC_ALL=C} added so output parses the same everywhere;
 * stdin empty unless given; stdout and stderr drained concurrently so large output never
 * blocks the child; and a timeout after which the whole process tree is terminated, then
 * killed.
 *
 * <p>Instances are immutable and thread-safe; the {@code with...} methods return a changed
 * copy. Secrets belong in {@link Command#secret(String)} elements, which are shown as
 * {@code ***} in logs, messages and results.
 *
 * <p>Failures are {@link CommandException}s: {@code NOT_FOUND} (naming the Debian package
 * where known), {@code FAILED_TO_START}, {@code TIMED_OUT}, {@code INTERRUPTED} (the
 * thread's interrupt flag stays set) and, from {@link #run}, {@code EXIT_STATUS}.
 */
public final class CommandRunner {
    private static final System.Logger LOG = System.getLogger(CommandRunner.class.getName());

    /** Timeout of a runner that was not given one. Long operations should set their own. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    /** How long a terminated process tree gets to exit before it is killed. */
    static final Duration GRACE_PERIOD = Duration.ofSeconds(2);
    /** Longest stderr kept in memory; the head is what explains a failure. */
    private static final int MAX_STDERR_BYTES = 1024 * 1024;
    private static final List<String> SYSTEM_DIRECTORIES = List.of("/usr/sbin", "/sbin");

    /** Tools the library runs and the Debian packages that provide them. */
    private static final Map<String, String> DEBIAN_PACKAGES = Map.ofEntries(
            Map.entry("qemu-img", "qemu-utils"),
            Map.entry("mkfs.ext2", "e2fsprogs"),
            Map.entry("mkfs.ext3", "e2fsprogs"),
            Map.entry("mkfs.ext4", "e2fsprogs"),
            Map.entry("mke2fs", "e2fsprogs"),
            Map.entry("mkfs.xfs", "xfsprogs"),
            Map.entry("mkfs.btrfs", "btrfs-progs"),
            Map.entry("mkfs.vfat", "dosfstools"),
            Map.entry("mkfs.fat", "dosfstools"),
            Map.entry("lvm", "lvm2"),
            Map.entry("iscsiadm", "open-iscsi"),
            Map.entry("tgtadm", "tgt"),
            Map.entry("tgtd", "tgt"),
            Map.entry("zfs", "zfsutils-linux"),
            Map.entry("zpool", "zfsutils-linux"),
            Map.entry("blkid", "util-linux"),
            Map.entry("parted", "parted"));

    private final Duration timeout;
    private final Map<String, String> environment;
    private final byte[] stdin;
    private final Consumer<String> stdoutLineListener;
    private final List<String> searchDirectories;

    private CommandRunner(Duration timeout, Map<String, String> environment, byte[] stdin,
                          Consumer<String> stdoutLineListener, List<String> searchDirectories) {
        this.timeout = timeout;
        this.environment = environment;
        this.stdin = stdin;
        this.stdoutLineListener = stdoutLineListener;
        this.searchDirectories = searchDirectories;
    }

    /** A runner with the {@link #DEFAULT_TIMEOUT}, no extra environment and empty stdin. */
    public static CommandRunner create() {
        return create(System.getenv("PATH"));
    }

    /** A runner that looks tools up on {@code pathVariable} (a PATH value) and the system directories. */
    static CommandRunner create(String pathVariable) {
        return new CommandRunner(DEFAULT_TIMEOUT, Map.of(), null, null, searchDirectories(pathVariable));
    }

    /** This runner with another timeout, after which the process tree is killed. */
    public CommandRunner withTimeout(Duration newTimeout) {
        Objects.requireNonNull(newTimeout, "timeout");
        if (newTimeout.isNegative() || newTimeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + newTimeout);
        }
        return new CommandRunner(newTimeout, environment, stdin, stdoutLineListener, searchDirectories);
    }

    /** This runner with one more environment variable for the child (applied after {@code LC_ALL=C}). */
    public CommandRunner withEnvironment(String name, String value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a valid environment variable: " + name);
        }
        Map<String, String> extended = new LinkedHashMap<>(environment);
        extended.put(name, value);
        return new CommandRunner(timeout, Map.copyOf(extended), stdin, stdoutLineListener, searchDirectories);
    }

    /** This runner feeding {@code input} to the child's stdin, then closing it. */
    public CommandRunner withStdin(byte[] input) {
        return new CommandRunner(timeout, environment, input.clone(), stdoutLineListener, searchDirectories);
    }

    /**
     * This runner passing each line of stdout to {@code listener} as it arrives, lines being
     * ended by {@code \n} or {@code \r} (progress meters redraw with {@code \r}). The listener
     * runs on a reader thread; stdout is still collected into the result.
     */
    public CommandRunner withStdoutLineListener(Consumer<String> listener) {
        return new CommandRunner(timeout, environment, stdin, Objects.requireNonNull(listener, "listener"),
                searchDirectories);
    }

    public Duration timeout() {
        return timeout;
    }

    /** Whether {@code tool} (a name, or a path) can be run. */
    public boolean available(String tool) {
        return locate(tool).isPresent();
    }

    /** Where {@code tool} would be run from: a name is looked up on PATH, then /usr/sbin and /sbin. */
    public Optional<Path> locate(String tool) {
        Objects.requireNonNull(tool, "tool");
        if (tool.isEmpty() || tool.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        if (tool.indexOf('/') >= 0) {
            Path path = Path.of(tool);
            return isExecutableFile(path) ? Optional.of(path) : Optional.empty();
        }
        for (String directory : searchDirectories) {
            Path candidate = Path.of(directory, tool);
            if (isExecutableFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The Debian package that provides {@code tool}, where the library knows it. */
    public static Optional<String> debianPackage(String tool) {
        String name = tool.substring(tool.lastIndexOf('/') + 1);
        return Optional.ofNullable(DEBIAN_PACKAGES.get(name));
    }

    /** Runs {@code argv} and returns its result if it exited with status 0, else throws {@code EXIT_STATUS}. */
    public CommandResult run(List<String> argv) {
        return run(Command.of(argv));
    }

    /** Runs {@code command} and returns its result if it exited with status 0, else throws {@code EXIT_STATUS}. */
    public CommandResult run(Command command) {
        return execute(command).requireSuccess();
    }

    /** Runs {@code argv} and returns its result whatever its exit status. */
    public CommandResult execute(List<String> argv) {
        return execute(Command.of(argv));
    }

    /**
     * Runs {@code command} and returns its result whatever its exit status, for tools whose
     * non-zero statuses carry meaning (qemu-img check, blkid).
     */
    public CommandResult execute(Command command) {
        Objects.requireNonNull(command, "command");
        Path executable = locate(command.tool()).orElseThrow(() -> notFound(command));
        List<String> argv = new ArrayList<>(command.argv());
        argv.set(0, executable.toString());

        ProcessBuilder builder = new ProcessBuilder(argv);
        Map<String, String> childEnvironment = builder.environment();
        childEnvironment.put("LC_ALL", "C");
        childEnvironment.put("PATH", childPath(childEnvironment.get("PATH")));
        childEnvironment.putAll(environment);
        builder.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                : ProcessBuilder.Redirect.PIPE);

        LOG.log(Level.DEBUG, () -> "running " + command.display());
        long started = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new CommandException(command.redactedArgv(), CommandException.Reason.FAILED_TO_START,
                    OptionalInt.empty(), "", command.tool() + " could not be started: " + command.redact(
                    String.valueOf(e.getMessage())), e);
        }

        String threadSuffix = command.tool() + "-" + process.pid();
        Drain stdout = new Drain(process.getInputStream(), Integer.MAX_VALUE, stdoutLineListener);
        Drain stderr = new Drain(process.getErrorStream(), MAX_STDERR_BYTES, null);
        Thread stdoutReader = daemon("stdout-" + threadSuffix, stdout);
        Thread stderrReader = daemon("stderr-" + threadSuffix, stderr);
        if (stdin != null) {
            daemon("stdin-" + threadSuffix, () -> feed(process.getOutputStream(), stdin));
        }

        int status;
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                killTree(process);
                throw new CommandException(command.redactedArgv(), CommandException.Reason.TIMED_OUT,
                        OptionalInt.empty(), command.redact(stderr.text().strip()),
                        command.display() + " did not finish within " + describe(timeout) + " and was killed", null);
            }
            status = process.exitValue();
            // The pipes close when the last holder exits; a daemon the command started may keep
            // them open, so wait briefly rather than for as long as the daemon lives.
            stdoutReader.join(GRACE_PERIOD);
            stderrReader.join(GRACE_PERIOD);
            if (stdoutReader.isAlive() || stderrReader.isAlive()) {
                LOG.log(Level.DEBUG, () -> command.display() + " exited but a process it started still holds its output");
            }
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new CommandException(command.redactedArgv(), CommandException.Reason.INTERRUPTED, OptionalInt.empty(),
                    command.redact(stderr.text().strip()), command.display() + " was interrupted and killed", e);
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - started);
        CommandResult result = new CommandResult(command.redactedArgv(), status, command.redact(stdout.text()),
                command.redact(stderr.text()), duration);
        LOG.log(Level.DEBUG, () -> command.display() + " exited with status " + status + " in " + duration.toMillis() + " ms");
        return result;
    }

    private CommandException notFound(Command command) {
        String tool = command.tool();
        Optional<String> debianPackage = debianPackage(tool);
        String message;
        if (tool.indexOf('/') >= 0) {
            message = tool + " does not exist or is not an executable file";
        } else {
            message = tool + " was not found on PATH, /usr/sbin or /sbin";
        }
        message += debianPackage.map(p -> "; install the Debian package " + p).orElse("");
        return new CommandException(command.redactedArgv(), CommandException.Reason.NOT_FOUND, OptionalInt.empty(),
                "", debianPackage, message, null);
    }

    /**
     * Terminates the process and every descendant, gives them {@link #GRACE_PERIOD} to exit,
     * then kills what is left. Descendants are collected before the parent dies, since an
     * orphan is no longer anyone's descendant.
     */
    private static void killTree(Process process) {
        boolean interrupted = false;
        Set<ProcessHandle> tree = new LinkedHashSet<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + GRACE_PERIOD.toNanos();
        try {
            while (tree.stream().anyMatch(CommandRunner::running) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        Set<ProcessHandle> survivors = new HashSet<>();
        for (ProcessHandle handle : tree) {
            if (running(handle)) {
                survivors.add(handle);
                handle.descendants().forEach(survivors::add);
            }
        }
        survivors.forEach(ProcessHandle::destroyForcibly);
        try {
            // Reap our child so it leaves no zombie behind; SIGKILL cannot be ignored.
            process.waitFor(GRACE_PERIOD.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Alive and not a zombie: an orphan killed here may wait a while for its new parent to reap it. */
    static boolean running(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
            int afterName = stat.lastIndexOf(')');
            return afterName < 0 || afterName + 2 >= stat.length() || stat.charAt(afterName + 2) != 'Z';
        } catch (IOException e) {
            return handle.isAlive();
        }
    }

    private static void feed(OutputStream stream, byte[] input) {
        try (stream) {
            stream.write(input);
        } catch (IOException e) {
            // The child exited or closed its stdin without reading everything; its status tells why.
            LOG.log(Level.DEBUG, "stdin not fully consumed: {0}", e.getMessage());
        }
    }

    private static Thread daemon(String name, Runnable task) {
        return Thread.ofPlatform().daemon().name("command-" + name).start(task);
    }

    private static boolean isExecutableFile(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }

    private static List<String> searchDirectories(String path) {
        Set<String> directories = new LinkedHashSet<>();
        if (path != null) {
            // Relative PATH entries would make the lookup depend on the working directory.
            Arrays.stream(path.split(":")).filter(entry -> entry.startsWith("/")).forEach(directories::add);
        }
        directories.addAll(SYSTEM_DIRECTORIES);
        return List.copyOf(directories);
    }

    /** The child's PATH: the inherited one with the system directories appended, so tools find their helpers. */
    private static String childPath(String inherited) {
        List<String> entries = new ArrayList<>();
        if (inherited != null && !inherited.isEmpty()) {
            entries.addAll(Arrays.asList(inherited.split(":")));
        }
        for (String directory : SYSTEM_DIRECTORIES) {
            if (!entries.contains(directory)) {
                entries.add(directory);
            }
        }
        return String.join(":", entries);
    }

    private static String describe(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    @Override
    public String toString() {
        return "CommandRunner[timeout=" + timeout + ", environment=" + environment.keySet()
                + (stdin == null ? "" : ", stdin=" + stdin.length + " bytes") + "]";
    }

    /** Reads one of the child's output streams to its end, keeping up to a bound. */
    private static final class Drain implements Runnable {
        private final InputStream stream;
        private final int limit;
        private final Consumer<String> lineListener;
        private final ByteArrayOutputStream collected = new ByteArrayOutputStream();
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Drain(InputStream stream, int limit, Consumer<String> lineListener) {
            this.stream = stream;
            this.limit = limit;
            this.lineListener = lineListener;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[64 * 1024];
            try (stream) {
                int n;
                while ((n = stream.read(buffer)) >= 0) {
                    synchronized (collected) {
                        int kept = Math.min(n, limit - collected.size());
                        if (kept > 0) {
                            collected.write(buffer, 0, kept);
                        }
                    }
                    if (lineListener != null) {
                        splitLines(buffer, n);
                    }
                }
                if (lineListener != null) {
                    deliverLine();
                }
            } catch (IOException e) {
                // The stream was closed under us when the process was killed; keep what was read.
                LOG.log(Level.DEBUG, "output stream closed: {0}", e.getMessage());
            }
        }

        String text() {
            synchronized (collected) {
                return collected.toString(StandardCharsets.UTF_8);
            }
        }

        private void splitLines(byte[] buffer, int length) {
            for (int i = 0; i < length; i++) {
                byte b = buffer[i];
                if (b == '\n' || b == '\r') {
                    deliverLine();
                } else {
                    line.write(b);
                }
            }
        }

        private void deliverLine() {
            if (line.size() == 0) {
                return;
            }
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            try {
                lineListener.accept(text);
            } catch (RuntimeException e) {
                // A failing listener must not stop the draining, or the child would block.
                LOG.log(Level.WARNING, "stdout line listener failed", e);
            }
        }
    }
}
