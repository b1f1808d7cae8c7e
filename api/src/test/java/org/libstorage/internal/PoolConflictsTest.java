package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.internal.StorageTestSupport.assertFails;
import static org.libstorage.internal.StorageTestSupport.dirPool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;

/**
 * One piece of storage is one pool: a second definition on the same target directory, device,
 * volume group or iSCSI target is refused naming the pool that has it, as libvirt does; and a
 * pool name is read exactly as given, so one with outer blanks is refused everywhere.
 */
class PoolConflictsTest {
    @TempDir
    Path dir;
    Storage storage;

    @BeforeEach
    void open() {
        storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")));
    }

    @AfterEach
    void close() {
        storage.close();
    }

    @Test
    void aSecondPoolOnTheSameDirectoryIsRefusedNamingTheFirst() throws Exception {
        Path images = dir.resolve("images");
        Files.createDirectories(images);
        Pool first = storage.definePool(dirPool("first", images));
        Path link = Files.createSymbolicLink(dir.resolve("link"), images);
        for (Path same : List.of(images, dir.resolve("images/../images"), link)) {
            StorageException e = assertFails(ErrorCode.POOL_EXISTS, () -> storage.definePool(dirPool("second", same)),
                    "the target directory", "already used by pool 'first'");
            assertEquals(java.util.Optional.of("pool-define"), e.operation());
        }
        assertEquals(List.of("first"), storage.pools().stream().map(Pool::name).toList());
        storage.definePool(dirPool("first", images).withUuid(first.uuid())); // redefining it is no conflict
        storage.definePool(dirPool("other", dir.resolve("other")));
    }

    @Test
    void devicesVolumeGroupsAndIscsiTargetsAreOnePoolEach() {
        storage.definePool(PoolDefinition.builder(PoolType.FS, "fs1")
                .source(PoolSource.builder().device(Path.of("/dev/loop-x")).build())
                .targetPath(dir.resolve("mnt")).build());
        assertFails(ErrorCode.POOL_EXISTS, () -> storage.definePool(PoolDefinition.builder(PoolType.DISK, "disk1")
                .source(PoolSource.builder().device(Path.of("/dev/loop-x")).build()).targetPath(Path.of("/dev")).build()),
                "the device /dev/loop-x", "pool 'fs1'");

        storage.definePool(PoolDefinition.builder(PoolType.LOGICAL, "vg")
                .source(PoolSource.builder().name("vg0").build()).build());
        assertFails(ErrorCode.POOL_EXISTS, () -> storage.definePool(PoolDefinition.builder(PoolType.LOGICAL, "vg-again")
                .source(PoolSource.builder().name("vg0").build()).build()), "the volume group vg0", "pool 'vg'");

        PoolSource target = PoolSource.builder().host(PoolSource.Host.of("192.0.2.1"))
                .device(Path.of("iqn.2026-01.com.example:t")).initiatorIqn("iqn.2026-01.com.example:h1").build();
        storage.definePool(PoolDefinition.builder(PoolType.ISCSI_DIRECT, "san").source(target).build());
        assertFails(ErrorCode.POOL_EXISTS, () -> storage.definePool(PoolDefinition.builder(PoolType.ISCSI_DIRECT, "san2")
                .source(target).build()), "the iSCSI target iqn.2026-01.com.example:t at 192.0.2.1:3260", "pool 'san'");
        // Another initiator is another path to the target, as in libvirt.
        storage.definePool(PoolDefinition.builder(PoolType.ISCSI_DIRECT, "san-h2")
                .source(target.toBuilder().initiatorIqn("iqn.2026-01.com.example:h2").build()).build());
    }

    @Test
    void aNameWithOuterBlanksIsRefusedFromTheBuilderAndFromXml() {
        for (String name : List.of(" images", "images ", "images\u00a0", "\u2003images")) {
            StorageException e = assertFails(ErrorCode.INVALID_ARGUMENT,
                    () -> dirPool(name, dir.resolve("x")), "begins or ends with a blank");
            assertTrue(e.getMessage().contains("pool name"), e.getMessage());
        }
        StorageException xml = org.junit.jupiter.api.Assertions.assertThrows(StorageException.class, () ->
                storage.definePoolXml("<pool type='dir'><name> images </name><target><path>" + dir.resolve("y")
                        + "</path></target></pool>"));
        assertTrue(xml.getMessage().contains("begins or ends with a blank"), xml.getMessage());
        assertEquals(List.of(), storage.pools());
    }
}
