package org.libstorage.backends.hostdevices;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A kernel initiator's sysfs under a test directory, laid out as a 6.1 kernel lays it out after a
 * login to tgtd (seen in the kernel lab): a session under its SCSI host, LUN 0 the target's
 * controller, then disk LUNs.
 */
public final class FakeIscsiSysfs {
    public static final String TARGET = "iqn.2026-01.org.libstorage.test:disk";

    private FakeIscsiSysfs() {
    }

    /** Writes the sysfs of session {@code sid} on SCSI host {@code host} with LUN 0 (controller) and disk LUNs. */
    public static void session(Path sys, int host, int sid, String state, String address, int port, String... disks)
            throws IOException {
        Path session = sys.resolve("devices/platform/host" + host + "/session" + sid);
        Path target = session.resolve("target" + host + ":0:0");
        write(target.resolve(host + ":0:0:0/type"), "12");
        for (int i = 0; i < disks.length; i++) {
            int lun = i + 1;
            Path device = target.resolve(host + ":0:0:" + lun);
            write(device.resolve("type"), "0");
            write(device.resolve("wwid"), "naa.60000000000000000e0000000001000" + lun);
            write(device.resolve("block/" + disks[i] + "/size"), Long.toString(lun * 16384L));
            Files.createDirectories(sys.resolve("block"));
            Files.createSymbolicLink(sys.resolve("block/" + disks[i]), device.resolve("block/" + disks[i]));
        }
        Path sessionClass = sys.resolve("class/iscsi_session/session" + sid);
        write(sessionClass.resolve("state"), state);
        write(sessionClass.resolve("targetname"), TARGET);
        Files.createSymbolicLink(sessionClass.resolve("device"), session);
        Path connection = sys.resolve("class/iscsi_connection/connection" + sid + ":0");
        write(connection.resolve("persistent_address"), address);
        write(connection.resolve("persistent_port"), Integer.toString(port));
        Files.createDirectories(sys.resolve("class/scsi_host/host" + host));
        write(sys.resolve("class/scsi_host/host" + host + "/scan"), "");
    }

    public static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text + "\n");
    }

}
