package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command lines Lvm builds, where LVM's own rules shape them. */
class LvmCommandLineTest {
    @Test
    void lvcreateOfSnapshotsAndThinVolumesGoesWithoutAReportFormat() {
        // lvm2 refuses --reportformat there: "Option --reportformat is unsupported with snapshots".
        assertFalse(Lvm.acceptsReportFormat("lvcreate", List.of("-y", "-s", "-n", "snap", "-L", "8m", "vg/lv")));
        assertFalse(Lvm.acceptsReportFormat("lvcreate", List.of("-y", "--type", "thin-pool", "-l", "90%FREE", "-n", "p", "vg")));
        assertFalse(Lvm.acceptsReportFormat("lvcreate", List.of("-y", "--type", "thin", "-V", "1g", "--thinpool", "p", "vg")));
        assertTrue(Lvm.acceptsReportFormat("lvcreate", List.of("-y", "-n", "lv", "-L", "8m", "vg")));
        assertTrue(Lvm.acceptsReportFormat("lvs", List.of("-s")), "only lvcreate has the restriction");
    }

    @Test
    void withoutAReportFormatTheCommandLogIsNotAskedFor() {
        LvmSettings settings = new LvmSettings(true, "devices{use_devicesfile=0}");
        assertEquals("log{report_command_log=1} devices{use_devicesfile=0}", settings.configString());
        assertEquals("devices{use_devicesfile=0}", settings.configString(false));
        assertEquals("global{activation=0}", new LvmSettings(false, "").configString(false));
    }
}
