package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;
import org.libstorage.backends.logical.LvmSandbox.Engine;
import org.libstorage.spi.PoolContents;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.RequiresKernel;

/**
 * Logical pools on a kernel with device-mapper, as users have them: starting a pool activates
 * its LVs (their device nodes appear), stopping deactivates them, LVs grow while active, and
 * classic and thin snapshots really share and diverge from their origins' data. On this host
 * these run in the QEMU lab ({@code bin/lab run LogicalActivation}).
 */
@RequiresKernel(KernelFeature.DEVICE_MAPPER)
class LogicalActivationTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    private static String vgName() {
        return "ls_dm_" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static LogicalPoolDriver driver(LvmSandbox sandbox, String sourceName, List<Path> devices) {
        PoolSource.Builder source = PoolSource.builder().name(sourceName);
        devices.forEach(source::device);
        PoolDefinition definition = PoolDefinition.builder(PoolType.LOGICAL, "pool-" + sourceName.replace('/', '-'))
                .source(source.build()).build();
        return (LogicalPoolDriver) new LogicalBackend(() -> sandbox.lvm(Engine.IN_PROCESS)).open(definition, null);
    }

    /** device-mapper's name for an LV: the group and LV names joined by a dash (dashes in them doubled). */
    private static Path mapperNode(String vg, String lv) {
        return Path.of("/dev/mapper", vg.replace("-", "--") + "-" + lv.replace("-", "--"));
    }

    /** The size of an active LV's block device, from sysfs (in 512-byte sectors) by its device number. */
    private static long deviceSize(Path node) throws IOException {
        long rdev = (Long) Files.getAttribute(node, "unix:rdev");
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        String sectors = Files.readString(Path.of("/sys/dev/block", major + ":" + minor, "size")).strip();
        return Long.parseLong(sectors) * 512;
    }

    private static void write(Path device, byte value, int length) throws IOException {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        try (FileChannel channel = FileChannel.open(device, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), 0);
            channel.force(true);
        }
    }

    private static byte[] read(Path device, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try (FileChannel channel = FileChannel.open(device, StandardOpenOption.READ)) {
            while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
                // read until full
            }
        }
        return buffer.array();
    }

    private static byte[] filled(byte value, int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }

    @Test
    void startActivatesStopDeactivatesAndAnActiveVolumeGrows() throws IOException {
        try (LvmSandbox sandbox = LvmSandbox.withActivation(dir, 1)) {
            String vg = vgName();
            LogicalPoolDriver pool = driver(sandbox, vg, sandbox.devices());
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            assertTrue(pool.refresh().info().notes().isEmpty(), "no activation=0 note: " + pool.refresh().info());

            VolumeDefinition data = pool.createVolume(VolumeDefinition.builder("data", 8 * MIB).build());
            Path node = mapperNode(vg, "data");
            assertTrue(Files.exists(node), "a new LV is active: " + node);
            assertEquals(8 * MIB, deviceSize(node));
            write(node, (byte) 0x5a, 4096);

            pool.stop();
            assertFalse(Files.exists(node), "stopping the pool deactivates its LVs");
            pool.start();
            assertTrue(Files.exists(node), "starting the pool activates them again");
            assertArrayEquals(filled((byte) 0x5a, 4096), read(node, 4096), "the data outlived deactivation");

            VolumeDefinition grown = pool.resizeVolume(data, 20 * MIB, false, false);
            assertEquals(20 * MIB, grown.capacity());
            assertEquals(20 * MIB, deviceSize(node), "the active device grew with the LV");
            assertArrayEquals(filled((byte) 0x5a, 4096), read(node, 4096));

            pool.deleteVolume(grown);
            assertFalse(Files.exists(node), "deleting an active LV removes its device");
            pool.stop();
            pool.delete();
            assertFalse(pool.isActive());
        }
    }

    @Test
    void aClassicSnapshotKeepsTheOriginsDataAsItWas() throws IOException {
        try (LvmSandbox sandbox = LvmSandbox.withActivation(dir, 1)) {
            String vg = vgName();
            LogicalPoolDriver pool = driver(sandbox, vg, sandbox.devices());
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            VolumeDefinition origin = pool.createVolume(VolumeDefinition.builder("origin", 8 * MIB).build());
            Path originNode = mapperNode(vg, "origin");
            write(originNode, (byte) 1, 65536);

            VolumeDefinition snapshot = pool.snapshotVolume(origin, "snap");
            assertEquals(8 * MIB, snapshot.capacity(), "a classic snapshot is as large as its origin");
            assertEquals(Optional.of(Path.of("/dev", vg, "origin")),
                    snapshot.backingStore().map(VolumeDefinition.BackingStore::path));
            PoolContents listed = pool.refresh();
            assertEquals(List.of("origin", "snap"), listed.volumes().stream().map(VolumeDefinition::name).toList());

            write(originNode, (byte) 2, 65536);
            assertArrayEquals(filled((byte) 1, 65536), read(mapperNode(vg, "snap"), 65536),
                    "the snapshot still reads what the origin held when it was taken");
            assertArrayEquals(filled((byte) 2, 65536), read(originNode, 65536));

            pool.deleteVolume(snapshot);
            assertEquals(List.of("origin"), pool.refresh().volumes().stream().map(VolumeDefinition::name).toList());
            assertFalse(Files.exists(mapperNode(vg, "snap")));
            assertArrayEquals(filled((byte) 2, 65536), read(originNode, 65536), "the origin is untouched");
            pool.stop();
            pool.delete();
        }
    }

    @Test
    void aThinPoolIsBuiltAndItsThinVolumesAndSnapshotsComeAndGo() throws IOException {
        try (LvmSandbox sandbox = LvmSandbox.withActivation(dir, 1)) {
            String vg = vgName();
            LogicalPoolDriver thin = driver(sandbox, vg + "/pool0", sandbox.devices());
            thin.build(BuildMode.NO_OVERWRITE);
            thin.start();
            assertTrue(thin.isActive());
            PoolContents empty = thin.refresh();
            assertEquals(List.of(), empty.volumes());
            assertTrue(empty.info().capacity() > 0 && empty.info().capacity() < LvmSandbox.DEVICE_SIZE,
                    "the thin pool takes most of the group: " + empty.info());

            // Thin volumes promise more than the pool holds: 256 MiB on a 64 MiB device.
            VolumeDefinition vm = thin.createVolume(VolumeDefinition.builder("vm", 256 * MIB).build());
            assertEquals(256 * MIB, vm.capacity());
            assertEquals(OptionalLong.of(0), vm.allocation(), "a new thin volume holds nothing yet");
            Path vmNode = mapperNode(vg, "vm");
            assertEquals(256 * MIB, deviceSize(vmNode));
            write(vmNode, (byte) 7, 65536);
            assertTrue(thin.refresh().volumes().getFirst().allocation().orElseThrow() > 0,
                    "written blocks are allocated from the pool");

            VolumeDefinition snap = thin.snapshotVolume(vm, "vm-snap");
            assertEquals(256 * MIB, snap.capacity());
            assertEquals(Optional.of(Path.of("/dev", vg, "vm")), snap.backingStore().map(VolumeDefinition.BackingStore::path));
            thin.stop();
            assertFalse(Files.exists(mapperNode(vg, "vm-snap")));
            thin.start();
            assertTrue(Files.exists(mapperNode(vg, "vm-snap")), "starting the pool activates the thin snapshot too");
            write(vmNode, (byte) 8, 65536);
            assertArrayEquals(filled((byte) 7, 65536), read(mapperNode(vg, "vm-snap"), 65536),
                    "the thin snapshot keeps the data of its moment");

            thin.deleteVolume(snap);
            thin.deleteVolume(vm);
            assertEquals(List.of(), thin.refresh().volumes(), "thin volumes are gone from the pool");
            assertFalse(Files.exists(vmNode));
            LvmReport left = sandbox.commandLvm().report("lvs", "lv_name", List.of(vg), null, "test");
            assertEquals(List.of("pool0"), left.section("lv").stream().map(r -> r.text("lv_name")).toList(),
                    "lvremove of a thin volume left nothing half-removed");

            thin.stop();
            thin.delete();
            assertFalse(thin.isActive());
        }
    }
}
