package org.libstorage.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A kernel facility some tests need, checked on the running kernel. Where the facility is built
 * as a module that is not loaded yet, a root test run loads it (as LVM or iscsiadm would through
 * the kernel's autoloading) before deciding it is absent.
 */
public enum KernelFeature {
    /** device-mapper, for LVM activation, snapshots and thin pools. */
    DEVICE_MAPPER("device-mapper", "dm_mod", List.of(Path.of("/dev/mapper/control"), Path.of("/sys/module/dm_mod"))),
    /** The ZFS modules (Debian's zfs-dkms, contrib). */
    ZFS("ZFS", "zfs", List.of(Path.of("/dev/zfs"), Path.of("/sys/module/zfs"))),
    /** The kernel iSCSI initiator's TCP transport, used by open-iscsi's iscsiadm. */
    ISCSI_INITIATOR("the kernel iSCSI initiator", "iscsi_tcp",
            List.of(Path.of("/sys/module/iscsi_tcp"), Path.of("/sys/class/iscsi_transport/tcp")));

    private final String description;
    private final String module;
    private final List<Path> evidence;

    KernelFeature(String description, String module, List<Path> evidence) {
        this.description = description;
        this.module = module;
        this.evidence = evidence;
    }

    /** What the feature is, for messages. */
    public String description() {
        return description;
    }

    /** Whether the running kernel has the feature, loading its module first when root can. */
    public boolean present() {
        if (loaded()) {
            return true;
        }
        if (Requirements.isRoot() && Requirements.hasCommand("modprobe")) {
            modprobe();
        }
        return loaded();
    }

    private boolean loaded() {
        return evidence.stream().anyMatch(Files::exists) || (this == DEVICE_MAPPER && procMiscHasDeviceMapper());
    }

    private static boolean procMiscHasDeviceMapper() {
        try {
            return Files.readAllLines(Path.of("/proc/misc")).stream().anyMatch(l -> l.endsWith(" device-mapper"));
        } catch (IOException e) {
            return false;
        }
    }

    private void modprobe() {
        try {
            Process p = new ProcessBuilder("modprobe", "-q", module).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            // no module to load: the feature is simply absent
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
