package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.testing.Requirements;

/**
 * liblvm2cmd in-process, with a configuration that rejects every device, so these tests never
 * see or touch the host's disks. (Runs against real PVs live in the logical backend's tests.)
 */
class Lvm2cmdTest {
    @TempDir
    static Path lockDir;

    @BeforeAll
    static void libraryPresent() {
        Requirements.require(Lvm2cmd.unavailableReason().isEmpty(),
                "liblvm2cmd: " + Lvm2cmd.unavailableReason().orElse(""));
    }

    private static List<String> command(String... words) {
        List<String> args = new ArrayList<>(List.of(words));
        args.add("--config");
        args.add("global{activation=0 locking_dir=\"" + lockDir + "\"} devices{global_filter=[\"r|.*|\"]"
                + " use_devicesfile=0} backup{backup=0 archive=0} log{report_command_log=1}");
        return args;
    }

    @Test
    void aMissingVolumeGroupFailsWithLvmsOwnMessageAndItsSourceLine() {
        Lvm2cmd.Result result = Lvm2cmd.shared().run(command("vgs", "--reportformat", "json", "no_such_vg"),
                Lvm2cmd.LOG_PRINT);

        assertEquals(Lvm2cmd.ExitClass.PROCESSING_FAILED, result.exitClass());
        assertTrue(result.report().contains("\"log\""), result.report());
        assertTrue(result.report().contains("Volume group \\\"no_such_vg\\\" not found"), result.report());
        Lvm2cmd.LogLine error = result.errors().getFirst();
        assertEquals("Volume group \"no_such_vg\" not found", error.message());
        assertTrue(error.file().endsWith(".c") && error.line() > 0, error.toString());
    }

    @Test
    void aReportArrivesAsJsonTextWithoutInterleavedWarnings() {
        Lvm2cmd.Result result = Lvm2cmd.shared().run(command("vgs", "--reportformat", "json", "-o", "vg_name"),
                Lvm2cmd.LOG_PRINT);

        assertTrue(result.succeeded(), result.toString());
        String report = result.report().strip();
        assertTrue(report.startsWith("{") && report.endsWith("}"), report);
        assertFalse(report.contains("WARNING"), report);
        assertTrue(result.messages().stream().anyMatch(m -> m.message().contains("Activation disabled")),
                result.messages().toString());
    }

    @Test
    void debugMessagesAreDroppedUnlessAsked() {
        Lvm2cmd.Result quiet = Lvm2cmd.shared().run(command("vgs", "-o", "vg_name"), Lvm2cmd.LOG_PRINT);
        Lvm2cmd.Result chatty = Lvm2cmd.shared().run(command("vgs", "-o", "vg_name"), Lvm2cmd.LOG_DEBUG);

        assertTrue(quiet.messages().stream().allMatch(m -> m.level() <= Lvm2cmd.LOG_PRINT));
        assertTrue(chatty.messages().stream().anyMatch(m -> m.level() == Lvm2cmd.LOG_DEBUG));
    }

    @Test
    void exitClassesFollowLvmsReturnCodes() {
        assertEquals(Lvm2cmd.ExitClass.NO_SUCH_COMMAND,
                Lvm2cmd.shared().run(List.of("no_such_command"), Lvm2cmd.LOG_PRINT).exitClass());
        Lvm2cmd.Result invalid = Lvm2cmd.shared().run(command("lvcreate", "-n", "bad name", "-L", "4M", "vg"),
                Lvm2cmd.LOG_PRINT);
        assertEquals(Lvm2cmd.ExitClass.INVALID_PARAMETERS, invalid.exitClass());
        assertTrue(invalid.errors().getFirst().message().contains("\"bad name\" is invalid"), invalid.toString());
    }

    @Test
    void umaskAndStandardOutputAreUnchangedByACall() throws IOException {
        String umaskBefore = umask();
        Path stdoutBefore = Files.readSymbolicLink(Path.of("/proc/self/fd/1"));

        Lvm2cmd.shared().run(command("vgs", "--reportformat", "json"), Lvm2cmd.LOG_PRINT);

        assertEquals(umaskBefore, umask());
        assertEquals(stdoutBefore, Files.readSymbolicLink(Path.of("/proc/self/fd/1")));
        System.out.println("standard output still works after liblvm2cmd");
        assertFalse(System.out.checkError());
    }

    @Test
    void argumentsAreQuotedTheWayLvmSplitsThem() {
        assertEquals("vgs -o vg_name", Lvm2cmd.commandLine(List.of("vgs", "-o", "vg_name")));
        assertEquals("--config 'a{b=\"c d\"}'", Lvm2cmd.commandLine(List.of("--config", "a{b=\"c d\"}")));
        assertEquals("it's \"it's a\"", Lvm2cmd.commandLine(List.of("it's", "it's a")));
        assertEquals("'#x'", Lvm2cmd.commandLine(List.of("#x")));
        assertThrows(IllegalArgumentException.class, () -> Lvm2cmd.commandLine(List.of("a 'b' \"c\"")));
        assertThrows(IllegalArgumentException.class, () -> Lvm2cmd.commandLine(List.of("a\0b")));
    }

    /** The umask as the kernel reports it, read without changing it. */
    private static String umask() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Umask:"))
                .findFirst().orElseThrow();
    }
}
