package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.backends.logical.LvmSandbox.Engine;
import org.libstorage.nativelib.Blkid;
import org.libstorage.spi.PoolContents;

/**
 * Logical pools whose source is {@code VG/THINPOOL}: their volumes are that thin pool's thin
 * volumes. This kernel has no device-mapper, so LVM cannot make a thin pool here; each test
 * writes one into its group's metadata ({@link LvmSandbox#addThinPool}) and checks what LVM can
 * do with it as metadata (list, measure, resize, remove the pool) and that what needs the
 * kernel's thin-pool target (build, create, delete a thin volume) fails naming device-mapper.
 */
class ThinPoolTest {
    private static final long MIB = 1L << 20;
    private static final long EXTENT = 4 * MIB;

    @TempDir
    Path dir;

    private static String vgName() {
        return "ls_thin_" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static LogicalPoolDriver driver(LvmSandbox sandbox, Engine engine, String sourceName, List<Path> devices) {
        PoolSource.Builder source = PoolSource.builder().name(sourceName);
        devices.forEach(source::device);
        PoolDefinition definition = PoolDefinition.builder(PoolType.LOGICAL, "pool-" + sourceName.replace('/', '-'))
                .source(source.build()).build();
        return (LogicalPoolDriver) new LogicalBackend(() -> sandbox.lvm(engine)).open(definition, null);
    }

    /** A built group with a linear LV "plain" and thin pool "pool0" (8 extents) holding thin volume "thin1" (1 GiB). */
    private static String groupWithThinPool(LvmSandbox sandbox, Engine engine) {
        String vg = vgName();
        LogicalPoolDriver group = driver(sandbox, engine, vg, sandbox.devices());
        group.build(BuildMode.NO_OVERWRITE);
        group.createVolume(VolumeDefinition.builder("plain", 8 * MIB).build());
        sandbox.addThinPool(vg, "pool0", 8, 256, List.of("thin1"));
        return vg;
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aThinPoolsPoolHoldsItsThinVolumesAndMeasuresThePool(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            String vg = groupWithThinPool(sandbox, engine);
            LogicalPoolDriver thin = driver(sandbox, engine, vg + "/pool0", List.of());

            assertEquals(Optional.of(Path.of("/dev", vg)), thin.definition().targetPath());
            assertTrue(thin.isActive());
            thin.start();
            PoolContents contents = thin.refresh();
            VolumeDefinition thin1 = contents.volumes().getFirst();
            assertEquals(List.of("thin1"), contents.volumes().stream().map(VolumeDefinition::name).toList());
            assertEquals(1L << 30, thin1.capacity(), "a thin volume's capacity is its virtual size");
            assertEquals(Optional.of(Path.of("/dev", vg, "thin1")), thin1.path());
            assertEquals(List.of(), thin1.extents(), "a thin volume has no extents of its own on the PVs");
            assertTrue(thin1.allocation().isEmpty(), "what an inactive thin volume holds is unknown");
            assertEquals(8 * EXTENT, contents.info().capacity(), "the pool is as large as the thin pool's data");
            assertEquals(8 * EXTENT, contents.info().available());
            assertTrue(contents.info().notes().stream().anyMatch(n -> n.contains("not active")),
                    contents.info().notes().toString());

            List<String> wholeGroup = driver(sandbox, engine, vg, List.of()).refresh().volumes().stream()
                    .map(VolumeDefinition::name).toList();
            assertEquals(List.of("plain", "thin1"), wholeGroup.stream().sorted().toList(),
                    "the group's pool lists thin volumes too, but not the thin pool or its hidden LVs");
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void thinVolumesGrowBeyondTheGroupAndShrinkOnlyWhenAllowed(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            LogicalPoolDriver thin = driver(sandbox, engine, groupWithThinPool(sandbox, engine) + "/pool0", List.of());
            VolumeDefinition thin1 = thin.refresh().volumes().getFirst();

            VolumeDefinition grown = thin.resizeVolume(thin1, 2L << 30, false, false);
            assertEquals(2L << 30, grown.capacity(), "thin volumes may promise more than the group holds");
            StorageException shrink = assertThrows(StorageException.class,
                    () -> thin.resizeVolume(grown, 512 * MIB, false, false));
            assertEquals(ErrorCode.INVALID_ARGUMENT, shrink.code());
            assertEquals(512 * MIB, thin.resizeVolume(grown, 512 * MIB, true, false).capacity());
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void whatNeedsTheThinPoolTargetNamesDeviceMapperAndChangesNothing(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            LogicalPoolDriver thin = driver(sandbox, engine, groupWithThinPool(sandbox, engine) + "/pool0", List.of());
            VolumeDefinition thin1 = thin.refresh().volumes().getFirst();

            StorageException create = assertThrows(StorageException.class,
                    () -> thin.createVolume(VolumeDefinition.builder("thin2", 64 * MIB).build()));
            assertEquals(ErrorCode.OPERATION_UNSUPPORTED, create.code());
            assertTrue(create.getMessage().startsWith("device-mapper is not available in this kernel: creating a thin"
                    + " volume in thin pool"), create.getMessage());
            assertEquals(Optional.of("volume 'thin2' in pool '" + thin.definition().name() + "'"), create.object());

            StorageException delete = assertThrows(StorageException.class, () -> thin.deleteVolume(thin1));
            assertEquals(ErrorCode.OPERATION_UNSUPPORTED, delete.code());
            assertTrue(delete.getMessage().startsWith("device-mapper is not available in this kernel: deleting a"
                    + " thin volume from thin pool '"), delete.getMessage());

            StorageException snapshot = assertThrows(StorageException.class, () -> thin.snapshotVolume(thin1, "snap"));
            assertEquals(ErrorCode.OPERATION_UNSUPPORTED, snapshot.code());

            assertEquals(List.of(thin1), thin.refresh().volumes(), "nothing was created or removed");
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void buildingAThinPoolIsRefusedBeforeAnyDeviceIsTouched(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            LogicalPoolDriver thin = driver(sandbox, engine, vgName() + "/pool0", sandbox.devices());

            StorageException e = assertThrows(StorageException.class, () -> thin.build(BuildMode.OVERWRITE));
            assertEquals(ErrorCode.OPERATION_UNSUPPORTED, e.code());
            assertTrue(e.getMessage().contains("thin-pool target"), e.getMessage());
            assertEquals(List.of(), Blkid.instance().signatures(sandbox.device(0)), "no PV was made");
            assertFalse(thin.isActive());
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aMissingThinPoolOrALinearVolumeIsNoThinPool(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            String vg = groupWithThinPool(sandbox, engine);

            LogicalPoolDriver missing = driver(sandbox, engine, vg + "/nopool", List.of());
            assertFalse(missing.isActive());
            StorageException none = assertThrows(StorageException.class, missing::refresh);
            assertEquals(ErrorCode.NO_SUCH_POOL, none.code());
            assertTrue(none.getMessage().contains("has no thin pool 'nopool'"), none.getMessage());

            LogicalPoolDriver linear = driver(sandbox, engine, vg + "/plain", List.of());
            assertFalse(linear.isActive());
            StorageException notThin = assertThrows(StorageException.class, linear::refresh);
            assertEquals(ErrorCode.INVALID_DEFINITION, notThin.code());
            assertTrue(notThin.getMessage().contains("not a thin pool"), notThin.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void deletingAThinPoolsPoolKeepsTheRestOfTheGroup(Engine engine) {
        LvmSandbox.requireLvmHost(engine);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            String vg = groupWithThinPool(sandbox, engine);
            LogicalPoolDriver thin = driver(sandbox, engine, vg + "/pool0", sandbox.devices());

            thin.delete();

            assertFalse(thin.isActive());
            LogicalPoolDriver group = driver(sandbox, engine, vg, sandbox.devices());
            assertEquals(List.of("plain"), group.refresh().volumes().stream().map(VolumeDefinition::name).toList(),
                    "the thin pool went with its volume; the group and its other LV stayed");
            group.deleteVolume(group.refresh().volumes().getFirst());
            sandbox.addThinPool(vg, "pool1", 8, 16, List.of());

            driver(sandbox, engine, vg + "/pool1", sandbox.devices()).delete();

            assertFalse(group.isActive(), "the last thing in the group was the thin pool, so the group went too");
            assertEquals(List.of(), Blkid.instance().signatures(sandbox.device(0)), "and its PV");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vg/bad name", "vg/pool_tmeta", "vg/snapshot0", "vg/", "bad vg/pool"})
    void aThinPoolNameLvmWouldRejectIsRefusedBeforeAnythingRuns(String sourceName) {
        PoolDefinition bad = PoolDefinition.builder(PoolType.LOGICAL, "p")
                .source(PoolSource.builder().name(sourceName).build()).build();
        LogicalBackend backend = new LogicalBackend(() -> {
            throw new AssertionError("validation must not need LVM");
        });

        StorageException e = assertThrows(StorageException.class, () -> backend.validate(bad));
        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertEquals(Optional.of("pool 'p'"), e.object());
        assertTrue(e.getMessage().contains("is invalid: "), e.getMessage());
    }
}
