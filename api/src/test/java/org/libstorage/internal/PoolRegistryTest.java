package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.internal.StorageTestSupport.assertFails;
import static org.libstorage.internal.StorageTestSupport.dirPool;
import static org.libstorage.internal.StorageTestSupport.zfsPool;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;

/** Defining, persisting, looking up and undefining pools. */
class PoolRegistryTest {
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

    @Test
    void aDefinedPoolIsFoundByNameUuidAndTargetPath() {
        Path target = dir.resolve("images");
        Pool pool = storage.definePool(dirPool("images", target));

        assertEquals("images", pool.name());
        assertEquals(PoolType.DIR, pool.type());
        assertEquals(Optional.of(pool), storage.pool("images"));
        assertEquals(pool, storage.requirePool("images"));
        assertEquals(Optional.of(pool), storage.poolByUuid(pool.uuid()));
        assertEquals(Optional.of(pool), storage.poolByTargetPath(target));
        assertEquals(List.of(pool), storage.pools());
        assertFalse(pool.isActive());
        assertTrue(Files.isRegularFile(config.resolve("storage/images.xml")));
    }

    @Test
    void aUuidIsAssignedWhenTheDefinitionHasNone() {
        Pool first = storage.definePool(dirPool("a", dir.resolve("a")));
        Pool second = storage.definePool(dirPool("b", dir.resolve("b")));
        assertNotEquals(first.uuid(), second.uuid());
        assertEquals(Optional.of(first.uuid()), first.definition().uuid());
    }

    @Test
    void aGivenUuidIsKept() {
        UUID uuid = UUID.fromString("35bb2ad9-388a-cdfe-461a-b8907f6e53fe");
        Pool pool = storage.definePool(dirPool("a", dir.resolve("a")).withUuid(uuid));
        assertEquals(uuid, pool.uuid());
    }

    @Test
    void poolsAreListedByName() {
        storage.definePool(dirPool("zeta", dir.resolve("z")));
        storage.definePool(dirPool("alpha", dir.resolve("a")));
        storage.definePool(zfsPool("mid"));
        assertEquals(List.of("alpha", "mid", "zeta"), storage.pools().stream().map(Pool::name).toList());
    }

    @Test
    void missingPoolsAreAbsentOrNoSuchPool() {
        assertEquals(Optional.empty(), storage.pool("nothing"));
        assertEquals(Optional.empty(), storage.poolByUuid(UUID.randomUUID()));
        assertEquals(Optional.empty(), storage.poolByTargetPath(dir.resolve("nowhere")));
        StorageException e = assertFails(ErrorCode.NO_SUCH_POOL, () -> storage.requirePool("nothing"), "'nothing'");
        assertEquals(Optional.of("pool 'nothing'"), e.object());
    }

    @Test
    void aPoolSurvivesANewStorageInstance() {
        Path target = dir.resolve("images");
        Pool defined = storage.definePool(dirPool("images", target));
        defined.setAutostart(true);
        storage.close();

        try (Storage again = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool found = again.requirePool("images");
            assertEquals(defined.uuid(), found.uuid());
            assertEquals(Optional.of(target), found.definition().targetPath());
            assertTrue(found.isAutostart());
            assertEquals(Optional.of(found), again.poolByTargetPath(target));
        }
    }

    @Test
    void anotherInstanceSeesDefinitionsAndUndefinitionsAsTheyHappen() {
        try (Storage other = Storage.open(StorageConfig.ofDirectory(config))) {
            assertEquals(List.of(), other.pools());

            Pool pool = storage.definePool(dirPool("shared", dir.resolve("shared")));
            assertEquals(List.of("shared"), other.pools().stream().map(Pool::name).toList());
            Pool seenByOther = other.requirePool("shared");
            assertEquals(pool.uuid(), seenByOther.uuid());

            pool.undefine();
            assertEquals(List.of(), other.pools());
            assertFails(ErrorCode.NO_SUCH_POOL, seenByOther::isActive, "no longer defined");
        }
    }

    @Test
    void aRedefinitionMadeElsewhereIsReadAgain() {
        Pool pool = storage.definePool(dirPool("p", dir.resolve("one")));
        try (Storage other = Storage.open(StorageConfig.ofDirectory(config))) {
            assertEquals(Optional.of(dir.resolve("one")), other.requirePool("p").definition().targetPath());
            storage.definePool(dirPool("p", dir.resolve("two")).withUuid(pool.uuid()));
            assertEquals(Optional.of(dir.resolve("two")), other.requirePool("p").definition().targetPath());
        }
    }

    @Test
    void poolByTargetPathAcceptsOtherSpellingsOfThePath() throws Exception {
        Path target = Files.createDirectories(dir.resolve("real/images"));
        Pool pool = storage.definePool(dirPool("images", target));
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));

        assertEquals(Optional.of(pool), storage.poolByTargetPath(dir.resolve("real/../real/images")));
        assertEquals(Optional.of(pool), storage.poolByTargetPath(link.resolve("images")));
        assertEquals(Optional.of(pool), storage.poolByTargetPath(dir.resolve("real/./images/")));
    }

    @Test
    void poolByTargetPathNormalizesPathsThatDoNotExist() {
        Pool pool = storage.definePool(dirPool("images", dir.resolve("not/yet")));
        assertEquals(Optional.of(pool), storage.poolByTargetPath(dir.resolve("not/x/../yet")));
    }

    @Test
    void redefiningAnInactivePoolWithItsUuidReplacesIt() {
        Pool pool = storage.definePool(dirPool("p", dir.resolve("one")));
        Pool again = storage.definePool(dirPool("p", dir.resolve("two")).withUuid(pool.uuid()));
        assertEquals(pool, again);
        assertEquals(Optional.of(dir.resolve("two")), pool.definition().targetPath());
        assertEquals(1, storage.pools().size());
    }

    @Test
    void aDuplicateNameIsRefusedAndNothingChanges() {
        Pool pool = storage.definePool(dirPool("p", dir.resolve("one")));
        DirectorySnapshot before = DirectorySnapshot.of(config);

        StorageException e = assertFails(ErrorCode.POOL_EXISTS,
                () -> storage.definePool(dirPool("p", dir.resolve("two"))), "'p'", pool.uuid().toString());
        assertEquals(Optional.of("pool-define"), e.operation());
        assertFails(ErrorCode.POOL_EXISTS,
                () -> storage.definePool(dirPool("p", dir.resolve("two")).withUuid(UUID.randomUUID())), "'p'");
        assertEquals(before, DirectorySnapshot.of(config));
    }

    @Test
    void aDuplicateUuidIsRefusedNamingBothPoolsAndNothingChanges() {
        Pool pool = storage.definePool(dirPool("first", dir.resolve("one")));
        DirectorySnapshot before = DirectorySnapshot.of(config);

        assertFails(ErrorCode.POOL_EXISTS,
                () -> storage.definePool(dirPool("second", dir.resolve("two")).withUuid(pool.uuid())),
                "'second'", "'first'", pool.uuid().toString(), "UUID");
        assertEquals(before, DirectorySnapshot.of(config));
    }

    static Stream<Arguments> badPoolNames() {
        return Stream.of(
                Arguments.of("", "empty"),
                Arguments.of("a/b", "'/'"),
                Arguments.of("..", "'..'"),
                Arguments.of(".", "'.'"),
                Arguments.of("nul\0name", "NUL"),
                Arguments.of("-rf", "'-'"),
                Arguments.of("x".repeat(256), "255 bytes"),
                Arguments.of("é".repeat(128), "255 bytes"));
    }

    @ParameterizedTest
    @MethodSource("badPoolNames")
    void badPoolNamesAreRefusedAndNothingChanges(String name, String rule) {
        storage.definePool(dirPool("existing", dir.resolve("e")));
        DirectorySnapshot before = DirectorySnapshot.of(config);

        assertFails(ErrorCode.INVALID_ARGUMENT, () -> storage.definePool(dirPool(name, dir.resolve("t"))),
                "pool name", rule);
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> storage.pool(name), "pool name", rule);
        assertEquals(before, DirectorySnapshot.of(config));
    }

    @Test
    void poolNamesTooLongForTheLockFileAreRefused() {
        String name = "x".repeat(Layout.MAX_POOL_NAME_BYTES + 1);
        DirectorySnapshot before = DirectorySnapshot.of(config);
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> storage.definePool(dirPool(name, dir.resolve("t"))),
                "pool name", String.valueOf(Layout.MAX_POOL_NAME_BYTES));
        assertEquals(before, DirectorySnapshot.of(config));
        assertEquals(Optional.empty(), storage.pool(name));

        String longest = "y".repeat(Layout.MAX_POOL_NAME_BYTES);
        Pool pool = storage.definePool(dirPool(longest, dir.resolve("t")));
        pool.setAutostart(true);
        assertTrue(pool.isAutostart());
    }

    static Stream<Arguments> badXml() {
        return Stream.of(
                Arguments.of("<pool type='bogus'><name>p</name></pool>", "INVALID_DEFINITION", "type"),
                Arguments.of("<pool><name>p</name></pool>", "INVALID_DEFINITION", "type"),
                Arguments.of("<pool type='dir'><name></name><target><path>/x</path></target></pool>",
                        "INVALID_DEFINITION", "name"),
                Arguments.of("<pool type='dir'><name>a/b</name><target><path>/x</path></target></pool>",
                        "INVALID_ARGUMENT", "pool name"),
                Arguments.of("<pool type='dir'><name>-x</name><target><path>/x</path></target></pool>",
                        "INVALID_ARGUMENT", "pool name"),
                Arguments.of("<pool type='dir'><name>p</name><uuid>not-a-uuid</uuid>"
                        + "<target><path>/x</path></target></pool>", "INVALID_DEFINITION", "uuid"),
                Arguments.of("<pool type='dir'><name>p</name><capacity>-5</capacity>"
                        + "<target><path>/x</path></target></pool>", "INVALID_DEFINITION", "capacity"),
                Arguments.of("<pool type='dir'><name>p</name></pool>", "INVALID_DEFINITION", "target"),
                Arguments.of("<!DOCTYPE pool [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                        + "<pool type='dir'><name>&x;</name></pool>", "INVALID_DEFINITION", "DTD"),
                Arguments.of("<pool type='dir'><name>p</name>", "INVALID_DEFINITION", "pool XML"));
    }

    @ParameterizedTest
    @MethodSource("badXml")
    void badPoolXmlIsRefusedNamingTheFieldAndNothingChanges(String xml, String code, String field) {
        storage.definePool(dirPool("existing", dir.resolve("e")));
        DirectorySnapshot before = DirectorySnapshot.of(config);

        StorageException e = assertThrows(StorageException.class, () -> storage.definePoolXml(xml));
        assertEquals(ErrorCode.valueOf(code), e.code(), e::getMessage);
        assertTrue(e.getMessage().toLowerCase().contains(field.toLowerCase()), e::getMessage);
        assertEquals(Optional.of("pool-define"), e.operation());
        assertEquals(before, DirectorySnapshot.of(config));
    }

    @Test
    void definePoolXmlDefinesAndDumpsTheSamePool() {
        String xml = """
                <pool type='dir'>
                  <name>fromxml</name>
                  <uuid>35bb2ad9-388a-cdfe-461a-b8907f6e53fe</uuid>
                  <target><path>/var/lib/virt/images</path></target>
                </pool>""";
        Pool pool = storage.definePoolXml(xml);
        assertEquals(UUID.fromString("35bb2ad9-388a-cdfe-461a-b8907f6e53fe"), pool.uuid());
        PoolDefinition reparsed = org.libstorage.xml.PoolXml.parse(pool.toXml());
        assertEquals(pool.definition(), reparsed);
    }

    @Test
    void aPoolWithoutAnInstalledBackendCanBeDefinedDumpedAndUndefined() {
        Pool pool = storage.definePool(zfsPool("tank"));
        String xml = pool.toXml();
        assertTrue(xml.contains("type='zfs'") || xml.contains("type=\"zfs\""), xml);
        assertEquals(pool.definition(), org.libstorage.xml.PoolXml.parse(xml));
        try (Storage again = Storage.open(StorageConfig.ofDirectory(config))) {
            assertEquals(pool.definition(), again.requirePool("tank").definition());
        }
        pool.undefine();
        assertEquals(Optional.empty(), storage.pool("tank"));
    }

    @Test
    void theBackendsValidationRefusesBeforeAnythingChanges() {
        DirectorySnapshot before = DirectorySnapshot.of(config);
        assertFails(ErrorCode.INVALID_DEFINITION,
                () -> storage.definePool(PoolDefinition.builder(PoolType.DIR, "notarget").build()), "target");
        assertEquals(before, DirectorySnapshot.of(config));
    }

    @Test
    void undefineRemovesTheDefinitionAndAutostartMarker() {
        Pool pool = storage.definePool(dirPool("p", dir.resolve("p")));
        pool.setAutostart(true);
        assertTrue(Files.isSymbolicLink(config.resolve("storage/autostart/p")));
        pool.undefine();
        assertFalse(Files.exists(config.resolve("storage/p.xml")));
        assertFalse(Files.exists(config.resolve("storage/autostart/p"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFails(ErrorCode.NO_SUCH_POOL, pool::undefine, "'p'");
        // The name is free again, for a new pool with a new UUID.
        Pool again = storage.definePool(dirPool("p", dir.resolve("p")));
        assertNotEquals(pool.uuid(), again.uuid());
        assertFails(ErrorCode.NO_SUCH_POOL, pool::definition, "no longer defined");
    }

    @Test
    void unreadableFilesInTheRegistryAreSkipped() throws Exception {
        storage.definePool(dirPool("good", dir.resolve("g")));
        Files.writeString(config.resolve("storage/broken.xml"), "<pool type='dir'><name>broken");
        Files.writeString(config.resolve("storage/misnamed.xml"),
                Files.readString(config.resolve("storage/good.xml")));
        Files.writeString(config.resolve("storage/.write-123.tmp"), "half a defin");
        assertEquals(List.of("good"), storage.pools().stream().map(Pool::name).toList());
        assertEquals(Optional.empty(), storage.pool("misnamed"));
    }

    @Test
    void threadsDefiningTheSamePoolAtOnceLeaveOneDefinition() throws Exception {
        int threads = 8;
        List<Callable<String>> calls = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Path target = dir.resolve("t" + i);
            calls.add(() -> {
                try {
                    storage.definePool(dirPool("contested", target));
                    return "DEFINED";
                } catch (StorageException e) {
                    return e.code().name();
                }
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<String> outcomes = new ArrayList<>();
        try {
            for (Future<String> f : pool.invokeAll(calls)) {
                outcomes.add(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, outcomes.stream().filter("DEFINED"::equals).count(), outcomes::toString);
        assertEquals(threads - 1, outcomes.stream().filter("POOL_EXISTS"::equals).count(), outcomes::toString);
        try (Stream<Path> files = Files.list(config.resolve("storage"))) {
            assertEquals(List.of("contested.xml"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void twoInstancesInOneJvmShareTheLocks() {
        try (Storage other = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool a = storage.definePool(dirPool("a", dir.resolve("a")));
            Pool b = other.requirePool("a");
            a.setAutostart(true);
            assertTrue(b.isAutostart());
            b.setAutostart(false);
            assertFalse(a.isAutostart());
        }
    }

    @Test
    void instancesReachingTheDirectoryByDifferentSpellingsShareTheLocks() throws Exception {
        Files.createDirectories(config);
        Path alias = Files.createSymbolicLink(dir.resolve("alias"), config);
        Pool pool = storage.definePool(dirPool("a", dir.resolve("a")));
        try (Storage other = Storage.open(StorageConfig.ofDirectory(alias))) {
            Pool same = other.requirePool("a");
            Thread toggler = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 200; i++) {
                    same.setAutostart(i % 2 == 0);
                }
            });
            for (int i = 0; i < 200; i++) {
                pool.setAutostart(i % 2 == 1);
            }
            toggler.join();
            assertEquals(pool.isAutostart(), same.isAutostart());
        }
    }

    @Test
    void aClosedStorageRefusesWork() {
        storage.close();
        assertFails(ErrorCode.INVALID_ARGUMENT, storage::pools, "closed");
    }

    @Test
    void theDefinitionFileIsLibvirtXml() throws Exception {
        storage.definePool(dirPool("images", Path.of("/var/lib/images")));
        String xml = Files.readString(config.resolve("storage/images.xml"), StandardCharsets.UTF_8);
        assertTrue(xml.contains("<name>images</name>"), xml);
        assertTrue(xml.contains("<path>/var/lib/images</path>"), xml);
    }
}
