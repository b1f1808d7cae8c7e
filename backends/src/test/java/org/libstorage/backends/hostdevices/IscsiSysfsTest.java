package org.libstorage.backends.hostdevices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel initiator's sysfs, laid out as a 6.1 kernel lays it out after a login to tgtd (seen
 * in the kernel lab): a session under its SCSI host, LUN 0 the target's controller, LUN 1 a disk.
 */
class IscsiSysfsTest {
    static final String TARGET = FakeIscsiSysfs.TARGET;

    @TempDir
    Path sys;

    @Test
    void listsTheSessionsLunsWithTheirDisks() throws IOException {
        FakeIscsiSysfs.session(sys, 3, 7, "LOGGED_IN", "127.0.0.1", 3260, "sda", "sdb");
        IscsiSysfs sysfs = new IscsiSysfs(sys);
        List<IscsiSysfs.Lun> luns = sysfs.luns(7);
        assertEquals(3, luns.size());
        assertFalse(luns.get(0).isDisk(), "LUN 0 is the target's controller");
        assertEquals(Optional.empty(), luns.get(0).block());
        assertEquals(new IscsiSysfs.Lun(3, 0, 0, 1, 0, Optional.of("sda"),
                Optional.of("naa.60000000000000000e00000000010001"), 16384L * 512), luns.get(1));
        assertEquals(Optional.of("sdb"), luns.get(2).block());
        assertEquals(OptionalInt.of(3), sysfs.host(7));
        assertEquals(Optional.of("LOGGED_IN"), sysfs.sessionState(7));
        assertEquals(List.of(), sysfs.luns(8));
        assertEquals(Optional.empty(), sysfs.sessionState(8));
    }

    @Test
    void aRescanWritesTheWildcardToTheHostsScanFile() throws IOException {
        FakeIscsiSysfs.session(sys, 3, 7, "LOGGED_IN", "127.0.0.1", 3260, "sda");
        new IscsiSysfs(sys).rescan(3);
        assertEquals("- - -", Files.readString(sys.resolve("class/scsi_host/host3/scan")));
    }

    @Test
    void aDiskOnASessionHasUdevsByPathName() throws IOException {
        FakeIscsiSysfs.session(sys, 3, 7, "LOGGED_IN", "127.0.0.1", 3261, "sda");
        Path partition = sys.resolve("block/sda").toRealPath().resolve("sda1");
        FakeIscsiSysfs.write(partition.resolve("partition"), "1");
        IscsiSysfs sysfs = new IscsiSysfs(sys);
        assertEquals(Optional.of("ip-127.0.0.1:3261-iscsi-" + TARGET + "-lun-1"), sysfs.pathId(sys.resolve("block/sda")));
        assertEquals(Optional.of("ip-127.0.0.1:3261-iscsi-" + TARGET + "-lun-1-part1"), sysfs.pathId(partition));
    }

    @Test
    void otherDisksHaveNoIscsiName() throws IOException {
        Path disk = sys.resolve("devices/pci0000:00/0000:00:04.0/virtio1/block/vda");
        FakeIscsiSysfs.write(disk.resolve("size"), "100");
        assertEquals(Optional.empty(), new IscsiSysfs(sys).pathId(disk));
        assertEquals(Optional.empty(), new IscsiSysfs(sys).pathId(sys.resolve("block/nothing")));
    }

    @Test
    void spellsLunsAsUdevDoes() {
        assertEquals("ip-10.0.0.5:3260-iscsi-" + TARGET + "-lun-255", IscsiSysfs.pathId("10.0.0.5", 3260, TARGET, 255));
        assertEquals("ip-10.0.0.5:3260-iscsi-" + TARGET + "-lun-0x0100000000000000",
                IscsiSysfs.pathId("10.0.0.5", 3260, TARGET, 256));
        assertTrue(IscsiSysfs.pathId("fd00::5", 3260, TARGET, 1).startsWith("ip-fd00::5:3260-iscsi-"));
    }
}
