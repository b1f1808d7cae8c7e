package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandRunnerTest {
    private final CommandRunner runner = CommandRunner.create();

    @Test
    void argumentsReachTheProgramLiterallyWithoutAShell() {
        List<String> tricky = List.of("two words", "it's \"quoted\"", "a;b", "$(id)", "`id`", "*", "-n", "");
        List<String> argv = new java.util.ArrayList<>(List.of("printf", "[%s]\\n"));
        argv.addAll(tricky);

        CommandResult result = runner.run(argv);

        assertEquals("[two words]\n[it's \"quoted\"]\n[a;b]\n[$(id)]\n[`id`]\n[*]\n[-n]\n[]\n", result.stdout());
        assertEquals(0, result.exitStatus());
        assertEquals(argv, result.argv());
    }

    @Test
    void childRunsInTheCLocaleWithTheGivenExtras() {
        CommandResult result = runner.withEnvironment("LIBSTORAGE_TEST", "yes").run(List.of("env"));

        assertTrue(result.stdoutLines().contains("LC_ALL=C"), result.stdout());
        assertTrue(result.stdoutLines().contains("LIBSTORAGE_TEST=yes"), result.stdout());
    }

    @Test
    void nonZeroExitCarriesStatusStderrAndAReadableMessage() {
        CommandException e = assertThrows(CommandException.class, () -> runner.run(
                List.of("sh", "-c", "echo 'first problem' >&2; echo detail >&2; exit 3")));

        assertAll(
                () -> assertEquals(CommandException.Reason.EXIT_STATUS, e.reason()),
                () -> assertEquals(OptionalInt.of(3), e.exitStatus()),
                () -> assertEquals("first problem\ndetail", e.stderr()),
                () -> assertEquals("sh -c 'echo '\\''first problem'\\'' >&2; echo detail >&2; exit 3' exited with status 3: "
                        + "first problem", e.getMessage()));
    }

    @Test
    void executeReturnsNonZeroStatusesInsteadOfThrowing() {
        CommandResult result = runner.execute(List.of("sh", "-c", "exit 2"));

        assertEquals(2, result.exitStatus());
        assertFalse(result.succeeded());
    }

    @Test
    void missingToolIsNotFoundAndNamesItsDebianPackage() {
        CommandException e = assertThrows(CommandException.class,
                () -> runner.run(List.of("/nonexistent/bin/qemu-img", "info", "x")));

        assertEquals(CommandException.Reason.NOT_FOUND, e.reason());
        assertEquals(Optional.of("qemu-utils"), e.debianPackage());
        assertTrue(e.getMessage().contains("qemu-utils"), e.getMessage());
        assertTrue(e.exitStatus().isEmpty());
    }

    @Test
    void missingToolByNameIsNotFound() {
        CommandException e = assertThrows(CommandException.class,
                () -> runner.run(List.of("libstorage-no-such-tool", "--help")));

        assertEquals(CommandException.Reason.NOT_FOUND, e.reason());
        assertEquals("libstorage-no-such-tool was not found on PATH, /usr/sbin or /sbin", e.getMessage());
    }

    @Test
    void knownToolsMapToTheirDebianPackages() {
        assertEquals(Optional.of("e2fsprogs"), CommandRunner.debianPackage("mkfs.ext4"));
        assertEquals(Optional.of("zfsutils-linux"), CommandRunner.debianPackage("zpool"));
        assertEquals(Optional.of("tgt"), CommandRunner.debianPackage("/usr/sbin/tgtadm"));
        assertEquals(Optional.empty(), CommandRunner.debianPackage("ls"));
    }

    @Test
    void rootToolsAreFoundEvenWhenPathLacksTheSystemDirectories() {
        RequiredTools.require("mkfs.ext4");
        CommandRunner narrowPath = CommandRunner.create("/nonexistent");

        Optional<Path> found = narrowPath.locate("mkfs.ext4");

        assertTrue(found.isPresent());
        assertTrue(found.get().startsWith("/usr/sbin") || found.get().startsWith("/sbin"), found.get().toString());
        assertTrue(narrowPath.available("mkfs.ext4"));
        assertFalse(narrowPath.available("libstorage-no-such-tool"));
    }

    @Test
    void stdinIsEmptyUnlessGiven() {
        assertEquals("", runner.run(List.of("cat")).stdout());

        byte[] input = "line one\nline two\n".getBytes(StandardCharsets.UTF_8);
        assertEquals("line one\nline two\n", runner.withStdin(input).run(List.of("cat")).stdout());
    }

    @Test
    void timeoutKillsTheCommandAndTheProcessesItStarted(@TempDir Path dir) throws Exception {
        Path pids = dir.resolve("pids");
        CommandRunner impatient = runner.withTimeout(Duration.ofMillis(500));

        CommandException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(CommandException.class,
                () -> impatient.run(List.of("sh", "-c", "sleep 60 & echo $! > \"$0\"; echo $$ >> \"$0\"; wait",
                        pids.toString()))));

        assertEquals(CommandException.Reason.TIMED_OUT, e.reason());
        assertTrue(e.getMessage().endsWith("did not finish within 500 ms and was killed"), e.getMessage());
        List<String> started = Files.readAllLines(pids);
        assertEquals(2, started.size(), "the shell and its sleep");
        for (String pid : started) {
            Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(pid));
            assertFalse(process.isPresent() && CommandRunner.running(process.get()), "process " + pid + " survived");
        }
    }

    @Test
    void timeoutKillsAPlainSleep() {
        CommandException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(CommandException.class,
                () -> runner.withTimeout(Duration.ofMillis(200)).run(List.of("sleep", "60"))));

        assertEquals(CommandException.Reason.TIMED_OUT, e.reason());
        assertTrue(ProcessHandle.current().children().noneMatch(CommandRunner::running));
    }

    @Test
    void interruptKillsTheCommandAndKeepsTheInterruptFlag() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                runner.run(List.of("sleep", "61"));
            } catch (Throwable t) {
                thrown.set(t);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        ProcessHandle sleep = awaitChild("61");

        caller.interrupt();
        caller.join();

        CommandException e = (CommandException) thrown.get();
        assertEquals(CommandException.Reason.INTERRUPTED, e.reason());
        assertTrue(stillInterrupted.get(), "interrupt flag lost");
        assertFalse(CommandRunner.running(sleep), "sleep survived the interrupt");
    }

    @Test
    void largeOutputOnBothStreamsDoesNotDeadlock() {
        int tenMiB = 10 * 1024 * 1024;
        CommandResult result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> runner.run(List.of("sh", "-c",
                "head -c 3000000 /dev/zero >&2; head -c " + tenMiB + " /dev/zero; head -c 3000000 /dev/zero >&2")));

        assertEquals(tenMiB, result.stdout().length());
        assertEquals(1024 * 1024, result.stderr().length(), "stderr is kept up to its bound");
    }

    @Test
    void secretsNeverAppearInMessagesResultsOrToString() {
        Command command = Command.of("sh", "-c", "echo \"login failed for $1 with password $0\" >&2; exit 24")
                .secret("hunter2").arg("alice");

        CommandException e = assertThrows(CommandException.class, () -> runner.run(command));

        assertAll(
                () -> assertFalse(e.getMessage().contains("hunter2"), e.getMessage()),
                () -> assertTrue(e.getMessage().endsWith("login failed for alice with password ***"), e.getMessage()),
                () -> assertEquals("***", e.argv().get(3)),
                () -> assertFalse(e.stderr().contains("hunter2")),
                () -> assertFalse(command.toString().contains("hunter2"), command.toString()),
                () -> assertEquals("hunter2", command.argv().get(3), "the process itself gets the secret"));
    }

    @Test
    void stdoutLinesReachTheListenerAsTheyArriveSplitOnCarriageReturns() {
        List<String> lines = new CopyOnWriteArrayList<>();

        CommandResult result = runner.withStdoutLineListener(lines::add)
                .run(List.of("printf", "  (0.00/100%%)\\r  (50.00/100%%)\\r\\nlast"));

        assertEquals(List.of("  (0.00/100%)", "  (50.00/100%)", "last"), lines);
        assertEquals("  (0.00/100%)\r  (50.00/100%)\r\nlast", result.stdout());
    }

    @Test
    void badArgumentsAreRefusedBeforeRunning() {
        assertThrows(IllegalArgumentException.class, () -> runner.withTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> runner.withEnvironment("A=B", "c"));
        assertThrows(IllegalArgumentException.class, () -> Command.of("echo", "nul\0byte"));
        assertThrows(IllegalArgumentException.class, () -> Command.of(List.of()));
    }

    private static ProcessHandle awaitChild(String argument) throws InterruptedException {
        while (true) {
            Optional<ProcessHandle> child = ProcessHandle.current().children()
                    .filter(p -> p.info().arguments().map(a -> List.of(a).contains(argument)).orElse(false))
                    .findFirst();
            if (child.isPresent()) {
                return child.get();
            }
            Thread.sleep(10);
        }
    }
}
