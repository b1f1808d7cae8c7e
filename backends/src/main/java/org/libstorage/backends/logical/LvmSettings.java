package org.libstorage.backends.logical;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How LVM runs on this host: whether it may activate devices (not when the kernel has no
 * device-mapper), and extra configuration given by the user or a test, in LVM's config syntax
 * (such as {@code devices{global_filter=["a|^/dev/loop3$|","r|.*|"]}}). Every command gets all
 * of it as one {@code --config} string, so both runners see exactly the same configuration and
 * nothing depends on the process environment (liblvm2cmd reads LVM_SYSTEM_DIR only once).
 */
record LvmSettings(boolean activation, String extraConfig) {
    LvmSettings {
        Objects.requireNonNull(extraConfig, "extraConfig");
    }

    /** This host's settings: activation only where the kernel has device-mapper. */
    static LvmSettings forHost(String extraConfig) {
        return new LvmSettings(hasDeviceMapper(), extraConfig);
    }

    /**
     * Whether the kernel offers device-mapper. /dev/mapper/control may exist (created by udev or
     * a container runtime) while opening it fails with ENODEV; the misc device in sysfs is what
     * the loaded driver registers.
     */
    static boolean hasDeviceMapper() {
        return Files.exists(Path.of("/sys/class/misc/device-mapper"));
    }

    /**
     * The configuration every command gets. {@code global/use_aio} is not here: LVM reads it only
     * when its tool context is created, from lvm.conf and lvmlocal.conf, never from
     * {@code --config}; see the README for what it costs.
     */
    String configString() {
        return configString(true);
    }

    /**
     * The configuration for one command; {@code commandLog} asks for LVM's command log as a
     * report section, which only commands run with the JSON report format should get.
     */
    String configString(boolean commandLog) {
        // The extra configuration comes last, so a user can override what is set here.
        StringBuilder config = new StringBuilder(commandLog ? "log{report_command_log=1}" : "");
        if (!activation) {
            config.append(" global{activation=0}");
        }
        if (!extraConfig.isBlank()) {
            config.append(' ').append(extraConfig.strip());
        }
        return config.toString().strip();
    }
}
