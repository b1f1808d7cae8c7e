package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.HostDevice;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;
import org.libstorage.backends.hostdevices.HostDevices;
import org.libstorage.backends.logical.LvmSandbox.Engine;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.RequiresKernel;

/**
 * An active LV is a host device: a device-mapper device known by its {@code /dev/mapper} name,
 * stacked on the loop device that is its PV (the LV's slave, the loop device's holder).
 */
@RequiresKernel(KernelFeature.DEVICE_MAPPER)
class LvHostDevicesTest {
    @TempDir
    Path dir;

    @Test
    void anLvOverAPvOverALoopDeviceIsADmDeviceWithItsStack() {
        try (LvmSandbox sandbox = LvmSandbox.withActivation(dir, 1)) {
            String vg = "ls_hd_" + UUID.randomUUID().toString().substring(0, 8);
            PoolDefinition definition = PoolDefinition.builder(PoolType.LOGICAL, vg)
                    .source(PoolSource.builder().device(sandbox.device(0)).build()).build();
            LogicalPoolDriver pool = (LogicalPoolDriver) new LogicalBackend(() -> sandbox.lvm(Engine.IN_PROCESS))
                    .open(definition, null);
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            VolumeDefinition lv = pool.createVolume(VolumeDefinition.builder("disk", 12L << 20).build());

            List<HostDevice> devices = new HostDevices().hostDevices();
            String loopName = sandbox.device(0).getFileName().toString();
            HostDevice loop = devices.stream().filter(d -> d.name().equals(loopName)).findFirst().orElseThrow();
            HostDevice dm = HostDevices.of(lv.path().orElseThrow()).orElseThrow();

            assertEquals(HostDevice.Kind.DM, dm.kind());
            assertEquals(Path.of("/dev/mapper", vg + "-disk"), dm.path(), "known by its /dev/mapper name");
            assertTrue(dm.name().startsWith("dm-"), dm.name());
            assertEquals(12L << 20, dm.size());
            assertEquals(List.of(loopName), dm.slaves(), "the LV sits on its PV's loop device");
            assertEquals(List.of(dm.name()), loop.holders(), "the loop device is held by the LV");
            assertEquals(Optional.of("LVM2_member"), loop.probe().type());
            assertTrue(devices.contains(dm), "the listing has the LV too: " + devices);

            pool.stop();
            assertTrue(new HostDevices().hostDevices().stream().noneMatch(d -> d.name().equals(dm.name())),
                    "a deactivated LV is no host device");
            assertEquals(List.of(), new HostDevices().hostDevices().stream().filter(d -> d.name().equals(loopName))
                    .findFirst().orElseThrow().holders());
            pool.delete();
        }
    }
}
