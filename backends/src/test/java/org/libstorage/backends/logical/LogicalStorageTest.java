package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BackendStatus;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.backends.logical.LvmSandbox.Engine;

/**
 * A logical pool end to end through {@link Storage}, with the backend ServiceLoader finds; the
 * sandbox's LVM configuration reaches it through the backend option {@link LogicalBackend#CONFIG_OPTION}.
 */
class LogicalStorageTest {
    @TempDir
    Path dir;

    @Test
    void aLogicalPoolThroughStorage() {
        LvmSandbox.requireLvmHost(Engine.IN_PROCESS);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage"))
                    .withBackendOption(LogicalBackend.CONFIG_OPTION, sandbox.settings().extraConfig()));
            try {
                BackendStatus status = storage.backends().stream().filter(b -> b.type() == PoolType.LOGICAL)
                        .findFirst().orElseThrow();
                assertTrue(status.available(), status.toString());
                if (!LvmSettings.hasDeviceMapper()) {
                    assertTrue(status.notes().stream().anyMatch(n -> n.contains("global/activation=0")),
                            status.notes().toString());
                }

                String vg = "ls_e2e_" + UUID.randomUUID().toString().substring(0, 8);
                Pool pool = storage.definePool(PoolDefinition.builder(PoolType.LOGICAL, vg)
                        .source(PoolSource.builder().device(sandbox.device(0)).build()).build());
                assertEquals(Optional.of(vg), pool.definition().source().name());
                assertEquals(Optional.of(Path.of("/dev", vg)), pool.definition().targetPath());
                pool.build(BuildMode.NO_OVERWRITE);
                pool.start();
                assertTrue(pool.isActive());
                if (!LvmSettings.hasDeviceMapper()) {
                    assertTrue(pool.info().notes().stream().anyMatch(n -> n.contains("global/activation=0")),
                            "pool info says LVM runs without activation: " + pool.info());
                }

                Volume disk = pool.createVolume(VolumeDefinition.builder("disk0", 8L << 20).build());
                assertEquals(Path.of("/dev", vg, "disk0"), disk.path());
                assertEquals(Optional.of(disk.key()), storage.volumeByKey(disk.key()).map(Volume::key));
                pool.refresh();
                assertEquals(8L << 20, pool.info().allocation());
                assertTrue(disk.toXml().contains("<key>" + disk.key() + "</key>"), disk.toXml());

                StorageException snapshot = assertThrows(StorageException.class, () -> disk.snapshot("snap"));
                if (!LvmSettings.hasDeviceMapper()) {
                    assertEquals(ErrorCode.OPERATION_UNSUPPORTED, snapshot.code());
                }

                PoolSource.Builder hint = PoolSource.builder().device(sandbox.device(0));
                List<PoolSource> sources = storage.findPoolSources(PoolType.LOGICAL, Optional.of(hint.build()));
                assertEquals(List.of(Optional.of(vg)), sources.stream().map(PoolSource::name).toList());

                disk.delete();
                assertEquals(List.of(), pool.volumes());
                pool.stop();
                pool.delete();
                pool.undefine();
                assertFalse(storage.pool(vg).isPresent());
            } finally {
                storage.close();
            }
        }
    }
    @Test
    void aThinPoolDefinedInXmlHoldsItsThinVolumes() {
        LvmSandbox.requireLvmHost(Engine.IN_PROCESS);
        try (LvmSandbox sandbox = LvmSandbox.create(dir, 1)) {
            Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage"))
                    .withBackendOption(LogicalBackend.CONFIG_OPTION, sandbox.settings().extraConfig()));
            try {
                String vg = "ls_e2e_" + UUID.randomUUID().toString().substring(0, 8);
                Pool group = storage.definePool(PoolDefinition.builder(PoolType.LOGICAL, vg)
                        .source(PoolSource.builder().device(sandbox.device(0)).build()).build());
                group.build(BuildMode.NO_OVERWRITE);
                group.start();
                sandbox.addThinPool(vg, "pool0", 8, 64, List.of("vm1", "vm2"));

                Pool thin = storage.definePoolXml("""
                        <pool type='logical'>
                          <name>thin</name>
                          <source><name>%s/pool0</name></source>
                        </pool>""".formatted(vg));
                thin.start();

                assertTrue(thin.toXml().contains("<path>/dev/" + vg + "</path>"), thin.toXml());
                assertEquals(List.of("vm1", "vm2"), thin.volumes().stream().map(Volume::name).toList());
                assertEquals(32L << 20, thin.info().capacity(), "the thin pool's 8 extents of 4 MiB");
                if (!LvmSettings.hasDeviceMapper()) {
                    StorageException create = assertThrows(StorageException.class,
                            () -> thin.createVolume(VolumeDefinition.builder("vm3", 1L << 30).build()));
                    assertEquals(ErrorCode.OPERATION_UNSUPPORTED, create.code());
                    assertTrue(create.getMessage().contains("device-mapper"), create.getMessage());
                }
                thin.stop();
                thin.undefine();
                group.refresh();
                assertEquals(List.of("vm1", "vm2"), group.volumes().stream().map(Volume::name).toList(),
                        "the group's pool sees the same thin volumes");
            } finally {
                storage.close();
            }
        }
    }
}
