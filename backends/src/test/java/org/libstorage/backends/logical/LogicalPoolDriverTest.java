package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.logical.LvmSandbox.Engine;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.lower.CommandException;
import org.libstorage.spi.PoolContents;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The logical backend on real PVs (loop devices), once with LVM in-process through liblvm2cmd
 * and once through the lvm command: both must behave the same. LVM runs with activation off, as
 * on this kernel, and each test sees only its own loop devices.
 */
class LogicalPoolDriverTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    private static String vgName() {
        return "ls_test_" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static LogicalPoolDriver driver(LvmSandbox sandbox, Engine engine, String vg, List<Path> devices) {
        PoolSource.Builder source = PoolSource.builder().name(vg);
        devices.forEach(source::device);
        PoolDefinition definition = PoolDefinition.builder(PoolType.LOGICAL, "pool-" + vg).source(source.build()).build();
        LogicalBackend backend = new LogicalBackend(() -> sandbox.lvm(engine));
        return (LogicalPoolDriver) backend.open(definition, null);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aPoolIsBuiltFilledResizedAndDeletedAsLvmMetadata(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 2)) {
            String vg = vgName();
            LogicalPoolDriver pool = driver(sandbox, engine, vg, sandbox.devices());
            assertEquals(Optional.of(Path.of("/dev", vg)), pool.definition().targetPath());

            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            assertTrue(pool.isActive());
            PoolContents empty = pool.refresh();
            assertTrue(empty.info().capacity() > 100 * MIB, empty.info().toString());
            assertEquals(0, empty.info().allocation());
            assertEquals(List.of(), empty.volumes());

            VolumeDefinition data = pool.createVolume(VolumeDefinition.builder("data", 10 * MIB).build());
            assertEquals(12 * MIB, data.capacity(), "LVM rounds up to whole 4 MiB extents");
            assertEquals(Optional.of(Path.of("/dev", vg, "data")), data.path());
            assertTrue(data.key().orElseThrow().matches("[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}"),
                    data.key().toString());
            VolumeDefinition.SourceExtents extents = data.extents().getFirst();
            assertTrue(sandbox.devices().contains(extents.device()), extents.toString());
            assertEquals(12 * MIB, extents.extents().stream().mapToLong(e -> e.end() - e.start()).sum());
            assertTrue(extents.extents().getFirst().start() > 0, "extents start after the PV's metadata area");

            PoolContents filled = pool.refresh();
            assertEquals(List.of(data), filled.volumes());
            assertEquals(12 * MIB, filled.info().allocation());

            VolumeDefinition grown = pool.resizeVolume(data, 20 * MIB, false, false);
            assertEquals(20 * MIB, grown.capacity());
            assertEquals(data.key(), grown.key());
            StorageException refused = assertThrows(StorageException.class,
                    () -> pool.resizeVolume(grown, 8 * MIB, false, false));
            assertEquals(ErrorCode.INVALID_ARGUMENT, refused.code());
            assertEquals(20 * MIB, pool.refresh().volumes().getFirst().capacity(), "a refused shrink changes nothing");
            assertEquals(8 * MIB, pool.resizeVolume(grown, 8 * MIB, true, false).capacity());

            pool.deleteVolume(grown);
            assertEquals(List.of(), pool.refresh().volumes());
            pool.stop();
            pool.delete();
            assertFalse(pool.isActive());
            for (Path device : sandbox.devices()) {
                assertEquals(List.of(), Blkid.instance().signatures(device), "no PV label left on " + device);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aDeviceWithDataIsRefusedUnlessOverwriting(Engine engine) throws Exception {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            Process mkfs = new ProcessBuilder("mkfs.ext4", "-q", "-F", sandbox.device(0).toString())
                    .redirectErrorStream(true).start();
            assertEquals(0, mkfs.waitFor(), new String(mkfs.getInputStream().readAllBytes()));
            LogicalPoolDriver pool = driver(sandbox, engine, vgName(), sandbox.devices());

            StorageException e = assertThrows(StorageException.class, () -> pool.build(BuildMode.NO_OVERWRITE));
            assertEquals(ErrorCode.DEVICE_BUSY, e.code());
            assertTrue(e.getMessage().contains("ext4") && e.getMessage().contains(sandbox.device(0).toString()),
                    e.getMessage());
            assertFalse(pool.isActive());

            pool.build(BuildMode.OVERWRITE);
            assertTrue(pool.isActive());
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aMountedDeviceIsNeverOverwritten(Engine engine) throws Exception {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            Path device = sandbox.device(0);
            run("mkfs.ext4", "-q", "-F", device.toString());
            Path mountPoint = java.nio.file.Files.createDirectories(dir.resolve("mnt"));
            run("mount", device.toString(), mountPoint.toString());
            try {
                LogicalPoolDriver pool = driver(sandbox, engine, vgName(), sandbox.devices());

                StorageException e = assertThrows(StorageException.class, () -> pool.build(BuildMode.OVERWRITE));
                assertEquals(ErrorCode.DEVICE_BUSY, e.code());
                assertTrue(e.getMessage().contains("is mounted on " + mountPoint), e.getMessage());
            } finally {
                run("umount", mountPoint.toString());
            }
            assertEquals(List.of("ext4"), Blkid.instance().signatures(device).stream().map(Blkid.Signature::type)
                    .toList(), "the filesystem is intact");
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aSourceThatIsNoBlockDeviceIsRefused(Engine engine) throws Exception {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            run("mkfs.ext4", "-q", "-F", sandbox.device(0).toString());
            Path file = java.nio.file.Files.write(dir.resolve("not-a-disk"), new byte[4096]);
            LogicalPoolDriver pool = driver(sandbox, engine, vgName(), List.of(sandbox.device(0), file));

            StorageException e = assertThrows(StorageException.class, () -> pool.build(BuildMode.OVERWRITE));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains(file + " is not a block device"), e.getMessage());
            assertEquals(List.of("ext4"), Blkid.instance().signatures(sandbox.device(0)).stream()
                    .map(Blkid.Signature::type).toList(), "the first device was not wiped for a build that cannot run");
        }
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aDeviceOfAnotherVolumeGroupIsBusyEvenWhenOverwriting(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            String first = vgName();
            driver(sandbox, engine, first, sandbox.devices()).build(BuildMode.NO_OVERWRITE);
            LogicalPoolDriver second = driver(sandbox, engine, vgName(), sandbox.devices());

            StorageException e = assertThrows(StorageException.class, () -> second.build(BuildMode.OVERWRITE));
            assertEquals(ErrorCode.DEVICE_BUSY, e.code());
            assertEquals(Optional.of("device " + sandbox.device(0)), e.object());
            assertTrue(e.getMessage().contains(first), e.getMessage());
            assertTrue(driver(sandbox, engine, first, sandbox.devices()).isActive(), "the first group is intact");
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aBuildThatFailsAtVgcreateLeavesNoStrayPhysicalVolume(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 2)) {
            String taken = vgName();
            driver(sandbox, engine, taken, List.of(sandbox.device(0))).build(BuildMode.NO_OVERWRITE);
            LogicalPoolDriver clash = driver(sandbox, engine, taken, List.of(sandbox.device(1)));

            StorageException e = assertThrows(StorageException.class, () -> clash.build(BuildMode.NO_OVERWRITE));
            assertEquals(ErrorCode.POOL_EXISTS, e.code());
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
            assertTrue(e.getCause() instanceof NativeCallException || e.getCause() instanceof CommandException,
                    String.valueOf(e.getCause()));
            assertEquals(List.of(), Blkid.instance().signatures(sandbox.device(1)), "pvcreate was undone");
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void lvmRefusalsKeepLvmsMessageAndNameTheVolume(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            LogicalPoolDriver pool = driver(sandbox, engine, vgName(), sandbox.devices());
            pool.build(BuildMode.NO_OVERWRITE);
            VolumeDefinition data = pool.createVolume(VolumeDefinition.builder("data", 8 * MIB).build());

            StorageException exists = assertThrows(StorageException.class,
                    () -> pool.createVolume(VolumeDefinition.builder("data", 4 * MIB).build()));
            assertEquals(ErrorCode.VOLUME_EXISTS, exists.code());
            assertTrue(exists.getMessage().contains("Logical Volume \"data\" already exists"), exists.getMessage());
            assertTrue(exists.object().orElseThrow().contains("'data'"));

            StorageException tooBig = assertThrows(StorageException.class,
                    () -> pool.createVolume(VolumeDefinition.builder("big", 1L << 30).build()));
            assertEquals(ErrorCode.NO_SPACE, tooBig.code());
            assertTrue(tooBig.getMessage().contains("insufficient free space"), tooBig.getMessage());

            StorageException beyond = assertThrows(StorageException.class,
                    () -> pool.resizeVolume(data, 1L << 30, false, false));
            assertEquals(ErrorCode.NO_SPACE, beyond.code());
            assertTrue(beyond.getMessage().toLowerCase().contains("insufficient free space"), beyond.getMessage());

            StorageException badName = assertThrows(StorageException.class,
                    () -> pool.createVolume(VolumeDefinition.builder("bad name", 4 * MIB).build()));
            assertEquals(ErrorCode.INVALID_ARGUMENT, badName.code());
            assertTrue(badName.getMessage().contains("\"bad name\" is invalid"), badName.getMessage());

            StorageException quotes = assertThrows(StorageException.class,
                    () -> pool.createVolume(VolumeDefinition.builder("it's \"x\" y", 4 * MIB).build()));
            assertEquals(ErrorCode.INVALID_ARGUMENT, quotes.code(), quotes.getMessage());

            assertEquals(List.of("data"), pool.refresh().volumes().stream().map(VolumeDefinition::name).toList(),
                    "no refusal left anything behind");
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void dataOperationsNameTheMissingKernelFeature(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            LogicalPoolDriver pool = driver(sandbox, engine, vgName(), sandbox.devices());
            pool.build(BuildMode.NO_OVERWRITE);
            VolumeDefinition data = pool.createVolume(VolumeDefinition.builder("data", 4 * MIB).build());

            List<StorageException> refusals = List.of(
                    assertThrows(StorageException.class, () -> pool.snapshotVolume(data, "snap")),
                    assertThrows(StorageException.class, () -> pool.wipeVolume(data, WipeAlgorithm.ZERO, null)),
                    assertThrows(StorageException.class, () -> pool.openRead(data, 0, 4 * MIB)));
            for (StorageException e : refusals) {
                assertEquals(ErrorCode.OPERATION_UNSUPPORTED, e.code());
                assertTrue(e.getMessage().startsWith("device-mapper is not available in this kernel"), e.getMessage());
            }
            assertEquals(1, pool.refresh().volumes().size(), "no snapshot was left behind");
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aSnapshotIsListedWithItsOriginAsBackingStoreAndCanBeDeleted(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            String vg = vgName();
            LogicalPoolDriver pool = driver(sandbox, engine, vg, sandbox.devices());
            pool.build(BuildMode.NO_OVERWRITE);
            VolumeDefinition origin = pool.createVolume(VolumeDefinition.builder("origin", 8 * MIB).build());
            sandbox.addSnapshot(vg, "origin", "snap", 1);

            List<VolumeDefinition> volumes = pool.refresh().volumes();
            assertEquals(List.of("origin", "snap"), volumes.stream().map(VolumeDefinition::name).sorted().toList(),
                    "the hidden LV tying the snapshot to its origin is no volume");
            VolumeDefinition snap = volumes.stream().filter(v -> v.name().equals("snap")).findFirst().orElseThrow();
            assertEquals(Optional.of(Path.of("/dev", vg, "origin")),
                    snap.backingStore().map(VolumeDefinition.BackingStore::path));
            assertEquals(8 * MIB, snap.capacity(), "a snapshot's device is as large as its origin");
            assertEquals(4 * MIB, snap.allocation().orElseThrow(), "it holds a store of one extent for changes");

            pool.deleteVolume(snap);
            assertEquals(List.of(origin.name()), pool.refresh().volumes().stream().map(VolumeDefinition::name).toList());
            assertTrue(pool.refresh().volumes().getFirst().backingStore().isEmpty());
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void poolSourcesAreTheVolumeGroupsOnTheHintedDevices(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 2)) {
            String vg = vgName();
            driver(sandbox, engine, vg, sandbox.devices()).build(BuildMode.NO_OVERWRITE);
            LogicalBackend backend = new LogicalBackend(() -> sandbox.lvm(engine));

            PoolSource.Builder hint = PoolSource.builder();
            sandbox.devices().forEach(hint::device);
            List<PoolSource> sources = backend.findPoolSources(Optional.of(hint.build()));

            assertEquals(1, sources.size(), sources.toString());
            assertEquals(Optional.of(vg), sources.getFirst().name());
            assertEquals(sandbox.devices(), sources.getFirst().devices().stream().map(PoolSource.Device::path).toList());
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aVolumeGroupNameLvmWouldRejectIsRefusedBeforeAnythingRuns(Engine engine) {
        PoolDefinition bad = PoolDefinition.builder(PoolType.LOGICAL, "p")
                .source(PoolSource.builder().name("bad vg").device(Path.of("/dev/loop99")).build()).build();
        LogicalBackend backend = new LogicalBackend(() -> {
            throw new AssertionError("validation must not need LVM (" + engine + ")");
        });

        StorageException e = assertThrows(StorageException.class, () -> backend.validate(bad));
        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertTrue(e.getMessage().contains("'bad vg'"), e.getMessage());
    }
}
