package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.internal.StorageTestSupport.assertFails;
import static org.libstorage.internal.StorageTestSupport.dirPool;
import static org.libstorage.internal.StorageTestSupport.logicalPool;
import static org.libstorage.internal.StorageTestSupport.zfsPool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BackendStatus;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolState;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;

/** The pool state machine, autostart, and what happens when a backend is missing or lacking. */
class PoolLifecycleTest {
    @TempDir
    Path dir;
    Path config;
    Storage storage;

    @BeforeEach
    void open() {
        config = dir.resolve("config");
        storage = Storage.open(StorageConfig.ofDirectory(config));
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private Pool builtAndStarted(String name) {
        Pool pool = storage.definePool(dirPool(name, dir.resolve(name)));
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        return pool;
    }

    @Test
    void buildStartStopDeleteUndefine() {
        Pool pool = storage.definePool(dirPool("p", dir.resolve("p")));
        assertEquals(PoolInfo.inactive(), pool.info());

        pool.build(BuildMode.NO_OVERWRITE);
        assertTrue(Files.isDirectory(dir.resolve("p")));
        pool.start();
        assertTrue(pool.isActive());
        assertEquals(PoolState.RUNNING, pool.info().state());
        assertTrue(pool.info().capacity() > 0);
        assertTrue(Files.exists(config.resolve("run/storage/p.xml")), "the run state marks the pool active");
        String xml = pool.toXml();
        assertTrue(xml.contains("<capacity"), xml);

        pool.stop();
        assertFalse(pool.isActive());
        assertFalse(Files.exists(config.resolve("run/storage/p.xml")));
        assertFalse(pool.toXml().contains("<capacity"));
        pool.delete();
        assertFalse(Files.exists(dir.resolve("p")));
        pool.undefine();
        assertEquals(List.of(), storage.pools());
    }

    @Test
    void stateErrorsNameThePoolAndTheOperation() {
        Pool pool = storage.definePool(dirPool("p", dir.resolve("p")));
        StorageException e = assertFails(ErrorCode.POOL_NOT_ACTIVE, pool::volumes, "'p'", "not active");
        assertEquals(Optional.of("pool 'p'"), e.object());
        assertEquals(Optional.of("vol-list"), e.operation());
        assertFails(ErrorCode.POOL_NOT_ACTIVE, pool::refresh, "not active");
        assertFails(ErrorCode.POOL_NOT_ACTIVE, pool::stop, "not active");
        assertFails(ErrorCode.POOL_NOT_ACTIVE, () -> pool.volume("v"), "not active");
        assertFails(ErrorCode.POOL_NOT_ACTIVE,
                () -> pool.createVolume(VolumeDefinition.builder("v", 1).build()), "not active");

        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        e = assertFails(ErrorCode.POOL_ACTIVE, pool::start, "'p'", "already running");
        assertEquals(Optional.of("pool-start"), e.operation());
        assertFails(ErrorCode.POOL_ACTIVE, () -> pool.build(BuildMode.OVERWRITE), "stop it");
        assertFails(ErrorCode.POOL_ACTIVE, pool::delete, "stop it");
        assertFails(ErrorCode.POOL_ACTIVE, pool::undefine, "stop it");
        assertTrue(pool.isActive());
        assertEquals(Optional.of(pool), storage.pool("p"));
    }

    @Test
    void aPoolWhoseStorageVanishedIsInactiveFromItsNextRefresh() throws Exception {
        Pool pool = builtAndStarted("p");
        Files.delete(dir.resolve("p"));
        // Calls trust the backend's last answer; a refresh asks it again.
        assertTrue(pool.isActive());
        assertFails(ErrorCode.POOL_NOT_ACTIVE, pool::refresh, "not active");
        assertFalse(pool.isActive());
        assertEquals(PoolInfo.inactive(), pool.info());
        assertFalse(Files.exists(config.resolve("run/storage/p.xml")));
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        assertTrue(pool.isActive());
    }

    @Test
    void aNewStorageAsksTheBackendOnce() throws Exception {
        builtAndStarted("p");
        Files.delete(dir.resolve("p"));
        try (Storage other = Storage.open(StorageConfig.ofDirectory(config))) {
            assertFalse(other.requirePool("p").isActive());
        }
    }

    @Test
    void anotherInstanceSeesThePoolActive() {
        Pool pool = builtAndStarted("p");
        try (Storage other = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool seen = other.requirePool("p");
            assertTrue(seen.isActive());
            assertEquals(PoolState.RUNNING, seen.info().state());
            seen.stop();
        }
        assertFalse(pool.isActive());
    }

    @Test
    void aFailedStartLeavesThePoolInactive() {
        Pool pool = storage.definePool(dirPool("p", dir.resolve("never-built")));
        assertFails(ErrorCode.IO_ERROR, pool::start, "does not exist");
        assertFalse(pool.isActive());
        assertFalse(Files.exists(config.resolve("run/storage/p.xml")));
    }

    @Test
    void aStartWhoseRefreshFailsLeavesThePoolInactive() throws Exception {
        Pool pool = storage.definePool(dirPool("p", dir.resolve("p")));
        pool.build(BuildMode.NO_OVERWRITE);
        Files.createFile(dir.resolve("p").resolve(FakeDirBackend.REFRESH_FAILS));
        assertFails(ErrorCode.IO_ERROR, pool::start, "refresh to fail");
        assertFalse(pool.isActive());
        assertFalse(Files.exists(config.resolve("run/storage/p.xml")));

        Files.delete(dir.resolve("p").resolve(FakeDirBackend.REFRESH_FAILS));
        pool.start();
        assertTrue(pool.isActive());
    }

    @Test
    void anActivePoolKeepsItsStartedDefinitionUntilRestarted() {
        Pool pool = builtAndStarted("p");
        storage.definePool(dirPool("p", dir.resolve("elsewhere")).withUuid(pool.uuid()));
        assertEquals(Optional.of(dir.resolve("p")), pool.definition().targetPath());
        pool.stop();
        assertEquals(Optional.of(dir.resolve("elsewhere")), pool.definition().targetPath());
    }

    @Test
    void anActivePoolsTypeCannotBeChanged() {
        Pool pool = builtAndStarted("p");
        PoolDefinition asFs = PoolDefinition.builder(PoolType.FS, "p").uuid(pool.uuid())
                .source(org.libstorage.PoolSource.builder().device(Path.of("/dev/loop0")).build())
                .targetPath(dir.resolve("p")).build();
        DirectorySnapshot before = DirectorySnapshot.of(config);
        assertFails(ErrorCode.POOL_ACTIVE, () -> storage.definePool(asFs), "'p'", "dir", "fs", "stop it");
        assertEquals(before, DirectorySnapshot.of(config));
        pool.stop();
        storage.definePool(asFs);
        assertEquals(PoolType.FS, pool.type());
    }

    @Test
    void autostartIsKeptAndStartsPools() {
        Pool auto = storage.definePool(dirPool("auto", dir.resolve("auto")));
        auto.build(BuildMode.NO_OVERWRITE);
        Pool manual = storage.definePool(dirPool("manual", dir.resolve("manual")));
        manual.build(BuildMode.NO_OVERWRITE);
        Pool broken = storage.definePool(dirPool("broken", dir.resolve("never-built")));
        assertFalse(auto.isAutostart());
        auto.setAutostart(true);
        broken.setAutostart(true);
        assertTrue(auto.isAutostart());

        assertEquals(List.of(auto), storage.startAutostartPools());
        assertTrue(auto.isActive());
        assertFalse(manual.isActive());
        assertEquals(List.of(), storage.startAutostartPools(), "already running pools are not started again");

        auto.setAutostart(false);
        assertFalse(auto.isAutostart());
    }

    @Test
    void aTypeWithoutBackendCannotBuildOrStart() {
        Pool pool = storage.definePool(zfsPool("tank"));
        StorageException e = assertFails(ErrorCode.BACKEND_UNAVAILABLE, pool::start,
                "No backend for pool type zfs");
        assertEquals(Optional.of("pool-start"), e.operation());
        assertFails(ErrorCode.BACKEND_UNAVAILABLE, () -> pool.build(BuildMode.NO_OVERWRITE), "zfs");
        assertFails(ErrorCode.BACKEND_UNAVAILABLE, pool::delete, "zfs");
        assertFalse(pool.isActive());
        pool.setAutostart(true);
        assertTrue(pool.isAutostart());
        assertEquals(List.of(), storage.startAutostartPools());
    }

    @Test
    void anUnavailableBackendGivesItsReason() {
        Pool pool = storage.definePool(logicalPool("vg"));
        StorageException e = assertFails(ErrorCode.BACKEND_UNAVAILABLE, pool::start,
                "logical", FakeUnavailableBackend.REASON);
        assertEquals(Optional.of("pool 'vg'"), e.object());
        assertFails(ErrorCode.BACKEND_UNAVAILABLE, () -> pool.build(BuildMode.NO_OVERWRITE),
                FakeUnavailableBackend.REASON);
        assertFails(ErrorCode.BACKEND_UNAVAILABLE,
                () -> storage.findPoolSources(PoolType.LOGICAL, Optional.empty()), FakeUnavailableBackend.REASON);
    }

    @Test
    void anOperationTheBackendLacksIsUnsupported() {
        Pool pool = storage.definePool(PoolDefinition.builder(PoolType.FS, "fs")
                .source(org.libstorage.PoolSource.builder().device(Path.of("/dev/loop0")).build())
                .targetPath(dir.resolve("mnt")).build());
        assertFails(ErrorCode.OPERATION_UNSUPPORTED, () -> pool.build(BuildMode.NO_OVERWRITE), "pool-build");
        pool.start();
        assertTrue(pool.isActive());
        assertFails(ErrorCode.OPERATION_UNSUPPORTED,
                () -> pool.createVolume(VolumeDefinition.builder("v", 1).build()), "vol-create");
        assertFails(ErrorCode.OPERATION_UNSUPPORTED,
                () -> storage.findPoolSources(PoolType.FS, Optional.empty()), "find-pool-sources");
        pool.stop();
        assertFails(ErrorCode.OPERATION_UNSUPPORTED, pool::delete, "pool-delete");
    }

    @Test
    void aDriverBugBecomesAnInternalErrorKeepingTheCause() {
        Pool pool = builtAndStarted("p");
        StorageException e = assertFails(ErrorCode.INTERNAL_ERROR,
                () -> pool.createVolume(VolumeDefinition.builder("explode", 1).build()), "vol-create", "exploded");
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals(Optional.of("volume 'explode' in pool 'p'"), e.object());
    }

    @Test
    void theCoreFillsInTheObjectAndTheUsersOperationWhereTheDriverLeftThemOut() {
        Pool pool = builtAndStarted("p");
        StorageException e = assertFails(ErrorCode.NO_SPACE,
                () -> pool.createVolume(VolumeDefinition.builder("anonymous-failure", 1).build()), "ran out of room");
        assertEquals(Optional.of("vol-create"), e.operation());
        assertEquals(Optional.of("volume 'anonymous-failure' in pool 'p'"), e.object());
        assertTrue(e.getStackTrace()[0].getClassName().contains("FakeDirBackend"), "thrown where the driver threw it");
    }

    @Test
    void backendsReportEveryPoolType() {
        List<BackendStatus> report = storage.backends();
        assertEquals(List.of(PoolType.values()), report.stream().map(BackendStatus::type).toList());
        BackendStatus dirStatus = report.get(PoolType.DIR.ordinal());
        assertTrue(dirStatus.available());
        BackendStatus logical = report.get(PoolType.LOGICAL.ordinal());
        assertFalse(logical.available());
        assertEquals(Optional.of(FakeUnavailableBackend.REASON), logical.reason());
        BackendStatus zfs = report.get(PoolType.ZFS.ordinal());
        assertFalse(zfs.available());
        assertEquals(Optional.of("no backend for pool type zfs is installed"), zfs.reason());
    }

    @Test
    void noHostDeviceProviderMeansNoDevices() {
        assertEquals(List.of(), storage.hostDevices());
    }

    @Test
    void findPoolSourcesWithoutBackendIsUnavailable() {
        assertFails(ErrorCode.BACKEND_UNAVAILABLE, () -> storage.findPoolSources(PoolType.ZFS, Optional.empty()),
                "zfs");
    }
}
