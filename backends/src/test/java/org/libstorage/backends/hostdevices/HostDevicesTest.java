package org.libstorage.backends.hostdevices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.HostDevice;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.Fdisk;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.Mount;
import org.libstorage.testing.Requirements;

/** Host devices from sysfs, mountinfo and libblkid, on a loop device the test partitions and mounts. */
class HostDevicesTest {
    @TempDir
    Path dir;

    @Test
    void listsALoopDeviceItsPartitionItsFilesystemAndWhereItIsMounted() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("disk.img", 64 * LoopFixture.MIB);
            Fdisk.instance().createLabel(loop.path(), "gpt");
            Fdisk.Partition p = Fdisk.instance().addPartition(loop.path(), 16 * LoopFixture.MIB,
                    "0FC63DAF-8483-4772-8E79-3D69D8477DE4", 0);
            Path partition = loop.partition(1);
            LoopFixture.run("mkfs.ext4", "-q", "-L", "data", partition.toString());
            Path target = Files.createDirectory(dir.resolve("mnt"));
            Mount.instance().mount(partition, target, Optional.empty(), List.of());

            List<HostDevice> devices = new HostDevices().hostDevices();
            String diskName = loop.path().getFileName().toString();
            HostDevice disk = devices.stream().filter(d -> d.name().equals(diskName)).findFirst().orElseThrow();
            assertEquals(HostDevice.Kind.LOOP, disk.kind());
            assertEquals(loop.path(), disk.path());
            assertEquals(64 * LoopFixture.MIB, disk.size());
            assertEquals(512, disk.logicalSectorSize());
            assertEquals(Optional.of(loop.backingFile()), disk.backingFile());
            assertEquals(Optional.of("gpt"), disk.probe().partitionTableType());
            assertTrue(disk.probe().partitionTableUuid().isPresent());
            assertTrue(disk.mountPoints().isEmpty());

            HostDevice part = devices.stream().filter(d -> d.name().equals(diskName + "p1")).findFirst().orElseThrow();
            assertEquals(HostDevice.Kind.PARTITION, part.kind());
            assertEquals(Optional.of(diskName), part.parent());
            assertEquals(16 * LoopFixture.MIB, part.size());
            assertEquals(List.of(target), part.mountPoints());
            assertEquals(Optional.of("ext4"), part.probe().type());
            assertEquals(Optional.of("filesystem"), part.probe().usage());
            assertEquals(Optional.of("data"), part.probe().label());
            assertEquals(p.uuid().map(String::toLowerCase), part.probe().partitionUuid());
            assertEquals(Optional.of("0fc63daf-8483-4772-8e79-3d69d8477de4"), part.probe().partitionType());

            assertEquals(Optional.of(part), HostDevices.of(partition), "one device looked up by its path");
            assertTrue(devices.indexOf(disk) < devices.indexOf(part), "partitions follow their disk");
        }
    }

    @Test
    void freeLoopDevicesAreNotListedAndNothingFailsTheListing() {
        List<HostDevice> devices = new HostDevices().hostDevices();
        assertFalse(devices.stream().anyMatch(d -> d.kind() == HostDevice.Kind.LOOP && d.backingFile().isEmpty()));
    }

    @Test
    void aPathThatIsNotABlockDeviceIsNoHostDevice() throws Exception {
        assertEquals(Optional.empty(), HostDevices.of(Files.write(dir.resolve("file"), new byte[1])));
        assertEquals(Optional.empty(), HostDevices.of(dir.resolve("absent")));
    }

    @Test
    void naturalOrderPutsLoop2BeforeLoop10() {
        assertTrue(SysfsBlock.naturalCompare("loop2", "loop10") < 0);
        assertTrue(SysfsBlock.naturalCompare("sda", "sdb") < 0);
        assertTrue(SysfsBlock.naturalCompare("loop3p2", "loop3p10") < 0);
        assertEquals(0, SysfsBlock.naturalCompare("md0", "md0"));
    }

    @Test
    void aDeviceThatCannotBeProbedIsListedWithoutProbeResults() {
        assertEquals(HostDevice.Probe.NOTHING, HostDevices.probe(dir.resolve("no-such-device")));
        Blkid.instance(); // probing failures never escape
    }
}
