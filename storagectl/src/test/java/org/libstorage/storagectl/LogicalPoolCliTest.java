package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.Storage;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.Requirements;
import org.libstorage.testing.RequiresKernel;

/**
 * A logical pool driven through storagectl on a kernel with device-mapper: pool-build,
 * pool-start activating its LVs, vol-create-as, vol-resize, vol-snapshot listed with its origin
 * as backing volume, pool-destroy deactivating, pool-delete; and the LV in host-devices under
 * its /dev/mapper name, below its PV.
 */
@RequiresKernel(KernelFeature.DEVICE_MAPPER)
class LogicalPoolCliTest {

    @TempDir
    Path tmp;

    /** LVM configuration for this test's pools (the logical backend's "lvm.config" option), set once the loop device is known. */
    private String lvmConfig = "";

    private final Cli cli = new Cli(config -> Storage.open(config.withBackendOption("lvm.config", lvmConfig)), false);

    private Cli.Result ok(String... args) {
        Cli.Result r = cli.runIn(tmp.resolve("config"), args);
        assertEquals(0, r.status(), () -> String.join(" ", args) + "\n" + r);
        return r;
    }

    @Test
    void aLogicalPoolFromBuildToDeleteWithActivation() throws Exception {
        Requirements.requireLoopDevices();
        Path image = tmp.resolve("pv.img");
        try (FileChannel file = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            file.truncate(64L << 20);
            file.write(java.nio.ByteBuffer.wrap(new byte[1]), (64L << 20) - 1);
        }
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            Files.createDirectories(tmp.resolve("lock"));
            lvmConfig = ("devices{global_filter=[\"a|^" + loop.path()
                    + "$|\",\"r|.*|\"] use_devicesfile=0 obtain_device_list_from_udev=0}"
                    + " global{locking_dir=\"" + tmp.resolve("lock") + "\"}"
                    + " backup{backup_dir=\"" + tmp.resolve("backup") + "\" archive_dir=\"" + tmp.resolve("archive") + "\"}");
            String vg = "ls_cli_" + UUID.randomUUID().toString().substring(0, 8);
            Path lv = Path.of("/dev/mapper", vg + "-vm1");

            ok("pool-define-as", vg, "logical", "--source-dev", loop.path().toString());
            assertEquals("Pool " + vg + " built\n", ok("pool-build", vg).out());
            assertEquals("Pool " + vg + " started\n", ok("pool-start", vg).out());
            ok("vol-create-as", vg, "vm1", "16M");
            assertTrue(Files.exists(lv), "the new LV is active");
            ok("vol-resize", "vm1", "24M", "--pool", vg);
            assertTrue(ok("vol-info", "vm1", "--pool", vg, "--bytes").out().contains("Capacity:       25165824\n"));

            assertEquals("Vol snap created as a snapshot of vm1\n", ok("vol-snapshot", "vm1", "snap", "--pool", vg).out());
            String info = ok("vol-info", "snap", "--pool", vg).out();
            assertTrue(info.contains("Backing:        /dev/" + vg + "/vm1\n"), info);
            String list = ok("vol-list", vg).out();
            assertTrue(list.contains(" vm1 ") && list.contains(" snap "), list);

            String tree = ok("host-devices").out();
            String loopName = loop.path().getFileName().toString();
            assertTrue(tree.lines().anyMatch(l -> l.startsWith(loopName + " ")), tree);
            assertTrue(tree.lines().anyMatch(l -> l.contains("─" + vg + "-vm1 ")),
                    "the LV under its PV by its /dev/mapper name:\n" + tree);

            ok("vol-delete", "snap", "--pool", vg);
            ok("pool-destroy", vg);
            assertFalse(Files.exists(lv), "stopping the pool deactivated its LVs");
            ok("pool-start", vg);
            assertTrue(Files.exists(lv), "starting it activated them again");
            ok("pool-destroy", vg);
            assertEquals("Pool " + vg + " deleted\n", ok("pool-delete", vg).out());
            ok("pool-undefine", vg);
        }
    }
}
