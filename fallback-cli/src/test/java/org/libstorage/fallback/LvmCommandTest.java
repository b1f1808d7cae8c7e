package org.libstorage.fallback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libstorage.testing.Requirements;

/** The lvm binary as the logical backend's fallback runs it; touches no device. */
class LvmCommandTest {
    private final LvmCommand lvm = LvmCommand.create(Duration.ofSeconds(60));

    @BeforeEach
    void lvmInstalled() {
        Requirements.require(lvm.available(), "the lvm command (Debian package lvm2)");
    }

    @Test
    void aReportComesBackOnStdoutWithNoDescriptorWarnings() {
        // A filter rejecting every device: the command sees nothing on the host.
        CommandResult result = lvm.run(List.of("vgs", "--reportformat", "json", "--config",
                "devices{global_filter=[\"r|.*|\"] use_devicesfile=0} global{activation=0}", "-o", "vg_name"));

        assertEquals(0, result.exitStatus(), result.stderr());
        assertTrue(result.stdout().contains("\"report\""), result.stdout());
        assertFalse(result.stderr().contains("leaked on lvm invocation"), result.stderr());
        assertEquals("lvm", result.argv().getFirst());
    }

    @Test
    void aRefusedCommandLineIsAResultNotAnException() {
        CommandResult result = lvm.run(List.of("lvcreate", "--config",
                "devices{global_filter=[\"r|.*|\"] use_devicesfile=0} global{activation=0}",
                "-n", "bad name", "-L", "4M", "vg"));

        assertEquals(3, result.exitStatus(), "EINVALID_CMD_LINE");
        assertTrue(result.stderr().contains("\"bad name\" is invalid"), () -> "stderr: " + result.stderr());
    }
}
