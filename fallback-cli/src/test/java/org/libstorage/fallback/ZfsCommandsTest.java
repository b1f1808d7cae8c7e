package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.libstorage.lower.CommandException;

/** Parsing what zfs and zpool print in their scripted forms (no kernel module needed). */
class ZfsCommandsTest {
    private static CommandResult printed(String stdout) {
        return new CommandResult(List.of("zfs", "list", "-Hp"), 0, stdout, "", Duration.ZERO);
    }

    @Test
    void scriptedListingIsReadAsTabSeparatedFieldsEvenWithSpacesInValues() {
        String out = "tank/vms/web 1\t10737418240\t57344\t-\n"
                + "tank/vms/db\t1073741824\t1106247680\ttank/vms/web 1@base\n";
        List<Map<String, String>> rows = ZfsCommands.parseTable(printed(out),
                List.of("name", "volsize", "used", "origin"));
        assertEquals(2, rows.size());
        assertEquals("tank/vms/web 1", rows.get(0).get("name"));
        assertEquals("10737418240", rows.get(0).get("volsize"));
        assertEquals("-", rows.get(0).get("origin"));
        assertEquals("tank/vms/web 1@base", rows.get(1).get("origin"));
    }

    @Test
    void aLineWithTheWrongNumberOfFieldsIsBadOutputNamingTheLine() {
        CommandException e = assertThrows(CommandException.class,
                () -> ZfsCommands.parseTable(printed("tank/a\t1\n"), List.of("name", "volsize", "used")));
        assertEquals(CommandException.Reason.BAD_OUTPUT, e.reason());
        assertTrue(e.getMessage().contains("tank/a"), e.getMessage());
    }

    @Test
    void nothingPrintedIsNoRows() {
        assertEquals(List.of(), ZfsCommands.parseTable(printed(""), List.of("name")));
    }

    @Test
    void importReportListsEachPoolWithItsLeafDevices() {
        String report = """
                   pool: tank
                     id: 15893312276471651200
                  state: ONLINE
                 action: The pool can be imported using its name or numeric identifier.
                 config:

                \ttank        ONLINE
                \t  mirror-0  ONLINE
                \t    loop3   ONLINE
                \t    loop4   ONLINE
                \tlogs
                \t  loop5     ONLINE

                   pool: backup
                     id: 404
                  state: DEGRADED
                 status: One or more devices are missing from the system.
                 action: The pool can be imported despite missing or damaged devices.
                    see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-2Q
                 config:

                \tbackup                  DEGRADED
                \t  /var/tmp/a.img        ONLINE
                \t  1234567890123456789   UNAVAIL  cannot open
                """;
        List<ZfsCommands.ImportablePool> pools = ZfsCommands.parseImportable(report);
        assertEquals(2, pools.size());
        assertEquals(new ZfsCommands.ImportablePool("tank", "15893312276471651200", "ONLINE",
                List.of("loop3", "loop4", "loop5")), pools.get(0));
        assertEquals(new ZfsCommands.ImportablePool("backup", "404", "DEGRADED",
                List.of("/var/tmp/a.img", "1234567890123456789")), pools.get(1));
    }

    @Test
    void anEmptyImportReportIsNoPools() {
        assertEquals(List.of(), ZfsCommands.parseImportable(""));
    }
}
