package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * iscsiadm's output as open-iscsi 2.1.8 prints it (captured in the kernel lab against tgtd), and
 * its exit statuses, through a stand-in {@code iscsiadm} script that records its argv: the real
 * one needs a kernel initiator, which the lab's tests use.
 */
class IscsiadmTest {
    private static final List<String> ARGV = List.of("iscsiadm", "--mode", "discovery");

    @TempDir
    Path dir;

    @Test
    void readsSendTargetsDiscovery() {
        List<Iscsiadm.Target> targets = Iscsiadm.parseTargets("""
                127.0.0.1:3261,1 iqn.2026-01.org.test:one
                127.0.0.1:3261,1 iqn.2026-01.org.test:chap
                [fd00::5]:3260,2 iqn.2026-01.org.test:six
                """, ARGV);
        assertEquals(List.of(new Iscsiadm.Target("127.0.0.1", 3261, 1, "iqn.2026-01.org.test:one"),
                new Iscsiadm.Target("127.0.0.1", 3261, 1, "iqn.2026-01.org.test:chap"),
                new Iscsiadm.Target("fd00::5", 3260, 2, "iqn.2026-01.org.test:six")), targets);
        assertEquals("[fd00::5]:3260", targets.get(2).portal());
        assertEquals(List.of(), Iscsiadm.parseTargets("\n", ARGV));
    }

    @Test
    void readsTheSessionList() {
        List<Iscsiadm.Session> sessions = Iscsiadm.parseSessions("""
                tcp: [1] 127.0.0.1:3261,1 iqn.2026-01.org.test:one (non-flash)
                tcp: [5] [fd00::5]:3260,1 iqn.2026-01.org.test:chap (non-flash)
                """, ARGV);
        assertEquals(List.of(new Iscsiadm.Session("tcp", 1, "127.0.0.1", 3261, 1, "iqn.2026-01.org.test:one"),
                new Iscsiadm.Session("tcp", 5, "fd00::5", 3260, 1, "iqn.2026-01.org.test:chap")), sessions);
    }

    @Test
    void outputItCannotReadIsBadOutputQuotingTheLine() {
        CommandException e = assertThrows(CommandException.class,
                () -> Iscsiadm.parseTargets("iscsiadm: something odd\n", ARGV));
        assertEquals(CommandException.Reason.BAD_OUTPUT, e.reason());
        assertTrue(e.getMessage().contains("something odd"), e.getMessage());
        assertThrows(CommandException.class, () -> Iscsiadm.parseSessions("tcp: [x] 1.2.3.4:5,1 iqn.a:b\n", ARGV));
        assertThrows(CommandException.class, () -> Iscsiadm.parseTargets("1.2.3.4 iqn.a:b\n", ARGV));
    }

    @Test
    void namesTheExitStatuses() {
        assertEquals(Optional.of(Iscsiadm.Status.LOGIN_AUTHENTICATION), Iscsiadm.Status.of(24));
        assertEquals(Optional.of(Iscsiadm.Status.PDU_TIMEOUT), Iscsiadm.Status.of(11));
        assertEquals(Optional.of(Iscsiadm.Status.FATAL_LOGIN), Iscsiadm.Status.of(19));
        assertEquals(Optional.empty(), Iscsiadm.Status.of(99));
        assertEquals(Optional.empty(), Iscsiadm.Status.of(0));
    }

    @Test
    void loginAndLogoutSayWhenThereWasNothingToDo() throws IOException {
        Iscsiadm iscsiadm = fake(15);
        assertFalse(iscsiadm.login("iqn.2026-01.org.test:one", "127.0.0.1:3261", Optional.empty()));
        assertEquals("--mode node --targetname iqn.2026-01.org.test:one --portal 127.0.0.1:3261 --login",
                lastArgv());
        assertFalse(fake(21).logout("iqn.2026-01.org.test:one", "127.0.0.1:3261", Optional.of("libstorage-1")));
        assertEquals("--mode node --targetname iqn.2026-01.org.test:one --portal 127.0.0.1:3261"
                + " --interface libstorage-1 --logout", lastArgv());
        assertFalse(fake(21).deleteNode("iqn.2026-01.org.test:one", "127.0.0.1:3261", Optional.empty()));
        assertEquals(List.of(), fake(21).sessions());
        assertTrue(fake(0).login("iqn.2026-01.org.test:one", "127.0.0.1:3261", Optional.empty()));
    }

    @Test
    void aFailureKeepsTheExitStatusAndStderr() throws IOException {
        Iscsiadm iscsiadm = fake(24, "iscsiadm: initiator reported error (24 - iSCSI login failed due to"
                + " authorization failure)");
        CommandException e = assertThrows(CommandException.class,
                () -> iscsiadm.login("iqn.2026-01.org.test:chap", "127.0.0.1:3261", Optional.empty()));
        assertEquals(Optional.of(Iscsiadm.Status.LOGIN_AUTHENTICATION), Iscsiadm.Status.of(e));
        assertTrue(e.stderr().contains("authorization failure"), e.stderr());
    }

    @Test
    void discoveryTouchesNoNodeRecords() throws IOException {
        Iscsiadm iscsiadm = fake(0, "", "127.0.0.1:3261,1 iqn.2026-01.org.test:one");
        assertEquals(List.of(new Iscsiadm.Target("127.0.0.1", 3261, 1, "iqn.2026-01.org.test:one")),
                iscsiadm.discover("127.0.0.1:3261", Optional.empty()));
        assertEquals("--mode discovery --type sendtargets --portal 127.0.0.1:3261 --op nonpersistent", lastArgv());
    }

    private Iscsiadm fake(int status) throws IOException {
        return fake(status, "");
    }

    private Iscsiadm fake(int status, String stderr) throws IOException {
        return fake(status, stderr, "");
    }

    /** An {@code iscsiadm} on a private PATH that records its arguments, prints and exits as told. */
    private Iscsiadm fake(int status, String stderr, String stdout) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path script = bin.resolve("iscsiadm");
        Files.writeString(script, "#!/bin/sh\necho \"$*\" > " + dir.resolve("argv") + "\n"
                + "printf '%s\\n' '" + stdout + "'\nprintf '%s\\n' '" + stderr + "' >&2\nexit " + status + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new Iscsiadm(CommandRunner.create(bin.toString()));
    }

    private String lastArgv() throws IOException {
        return Files.readString(dir.resolve("argv")).strip();
    }
}
