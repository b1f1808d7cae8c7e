package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.backends.dir.Pools.MIB;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;

/**
 * {@code kill -9} of a process at each stage of a long operation (held there by a
 * {@link org.libstorage.StageHook}, never timed) leaves nothing half-made: after the next command
 * no half-volume is listed, and no temporary file or claim is left.
 */
class CrashTest {
    private static final long SIZE = 64 * MIB;

    @TempDir
    Path temp;

    private Path config() {
        return temp.resolve("config");
    }

    private Pool startedPool(Storage storage, String name) {
        Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, name).targetPath(temp.resolve(name)).build());
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        return pool;
    }

    /** A raw volume of {@code SIZE} bytes, the first 4 MiB of them data. */
    private Volume dataVolume(Pool pool, String name) throws Exception {
        Volume volume = pool.createVolume(VolumeDefinition.builder(name, SIZE).build());
        try (RandomAccessFile file = new RandomAccessFile(volume.path().toFile(), "rw")) {
            byte[] data = new byte[(int) (4 * MIB)];
            new java.util.Random(3).nextBytes(data);
            file.write(data);
        }
        return volume;
    }

    /** What the next command (a fresh Storage, as storagectl opens one) finds. */
    @FunctionalInterface
    private interface Check {
        void check(Storage next) throws Exception;
    }

    /** Kills the child at {@code stage}, then runs the next command and {@code check}s what it found. */
    private void killedAt(String stage, Check check, String... args) throws Exception {
        try (Child child = Child.heldAt(config(), stage, args)) {
            child.kill();
        }
        try (Storage next = Storage.open(StorageConfig.ofDirectory(config()))) {
            check.check(next);
        }
    }

    private static List<Volume> listing(Storage storage, String pool) {
        return storage.requirePool(pool).volumes();
    }

    private void assertNothingLeft(String... pools) throws Exception {
        for (String pool : pools) {
            try (Stream<Path> files = Files.list(temp.resolve(pool))) {
                assertEquals(List.of(), files.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith(".")).toList(), "hidden files left in pool " + pool);
            }
            Path claims = config().resolve("run/storage/jobs").resolve(pool);
            if (Files.isDirectory(claims)) {
                try (Stream<Path> files = Files.list(claims)) {
                    assertEquals(List.of(), files.map(p -> p.getFileName().toString())
                            .filter(n -> n.endsWith(".claim")).toList(), "claims left in pool " + pool);
                }
            }
        }
    }

    private static List<String> names(List<Volume> volumes) {
        return volumes.stream().map(Volume::name).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"claimed", "temporary-created", "temporary-complete", "filled"})
    void createWithAllocation(String stage) throws Exception {
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config()))) {
            startedPool(storage, "images");
        }
        killedAt(stage, next -> {
            List<Volume> listed = listing(next, "images");
            for (Volume volume : listed) {
                // Only a finished volume may be listed: one killed after its rename is whole.
                assertEquals("full.img", volume.name());
                assertTrue(volume.info().allocation() >= SIZE, "listed half-allocated at " + stage);
            }
            if (!stage.equals("filled")) {
                assertEquals(List.of(), names(listed));
            }
        }, "create", "images", "full.img", String.valueOf(SIZE), String.valueOf(SIZE), "raw");
        assertNothingLeft("images");
    }

    @ParameterizedTest
    @ValueSource(strings = {"claimed", "temporary-created", "temporary-complete", "filled"})
    void clone(String stage) throws Exception {
        Path sourcePath;
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config()))) {
            sourcePath = dataVolume(startedPool(storage, "images"), "base.img").path();
        }
        killedAt(stage, next -> {
            List<Volume> listed = listing(next, "images");
            for (Volume volume : listed) {
                if (volume.name().equals("copy.img")) {
                    assertEquals(-1, Files.mismatch(sourcePath, volume.path()), "a listed clone is a whole clone");
                }
            }
            if (!stage.equals("filled")) {
                assertEquals(List.of("base.img"), names(listed));
            }
        }, "clone", "images", "base.img", "copy.img");
        assertNothingLeft("images");
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config()))) {
            storage.requirePool("images").requireVolume("base.img").delete(); // its read claim died too
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"claimed", "temporary-created", "temporary-complete", "filled"})
    void copyBetweenPools(String stage) throws Exception {
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config()))) {
            dataVolume(startedPool(storage, "other"), "base.img");
            startedPool(storage, "images");
        }
        killedAt(stage, next -> {
            List<Volume> listed = listing(next, "images");
            if (!stage.equals("filled")) {
                assertEquals(List.of(), names(listed));
            }
            assertEquals(List.of("base.img"), names(listing(next, "other")));
        }, "copy", "other", "base.img", "images", "copy.img");
        assertNothingLeft("images", "other");
    }

    @ParameterizedTest
    @ValueSource(strings = {"claimed", "temporary-created", "filled"})
    void qcow2Wipe(String stage) throws Exception {
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config()))) {
            Pool pool = startedPool(storage, "images");
            pool.createVolume(VolumeDefinition.builder("disk.qcow2", SIZE).format(VolumeFormat.QCOW2).build());
        }
        killedAt(stage, next -> {
            List<Volume> listed = listing(next, "images");
            assertEquals(List.of("disk.qcow2"), names(listed));
            Volume volume = listed.getFirst();
            assertEquals(VolumeFormat.QCOW2, volume.definition().format().orElseThrow());
            assertEquals(SIZE, volume.info().capacity());
        }, "wipe", "images", "disk.qcow2");
        assertNothingLeft("images");
    }

    @ParameterizedTest
    @ValueSource(strings = {"definition-written"})
    void define(String stage) throws Exception {
        try (Child child = Child.heldAt(config(), stage, "define", "half", temp.resolve("half").toString())) {
            child.kill();
        }
        try (Storage next = Storage.open(StorageConfig.ofDirectory(config()))) {
            assertEquals(List.of(), next.pools());
        }
        try (Stream<Path> files = Files.list(config().resolve("storage"))) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList());
        }
        assertFalse(Files.exists(config().resolve("storage/half.xml")));
    }
}
