package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.internal.StorageTestSupport.assertFails;
import static org.libstorage.internal.StorageTestSupport.dirPool;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.ProgressListener;
import org.libstorage.ResizeOption;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeInfo;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;

/** Volumes: creation, lookups by name, key and path, and every volume operation's checks. */
class VolumeTest {
    @TempDir
    Path dir;
    Storage storage;
    Pool pool;
    Path images;

    @BeforeEach
    void open() {
        storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")));
        images = dir.resolve("images");
        pool = storage.definePool(dirPool("images", images));
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private static VolumeDefinition volume(String name, long capacity) {
        return VolumeDefinition.builder(name, capacity).build();
    }

    @Test
    void createdVolumesAreListedByNameAndFound() {
        Volume b = pool.createVolume(volume("b.img", 4096));
        Volume a = pool.createVolume(volume("a.img", 1024));

        assertEquals(List.of("a.img", "b.img"), pool.volumes().stream().map(Volume::name).toList());
        assertEquals(Optional.of(a), pool.volume("a.img"));
        assertEquals(b, pool.requireVolume("b.img"));
        assertEquals(images.resolve("a.img"), a.path());
        assertEquals(a.pool(), pool);
        assertEquals(new VolumeInfo(VolumeType.FILE, 1024, 1024), a.info());
        assertEquals(4096, b.definition().capacity());
        assertTrue(a.toXml().contains("a.img"), a.toXml());

        pool.refresh();
        assertEquals(List.of("a.img", "b.img"), pool.volumes().stream().map(Volume::name).toList());
        assertEquals(new VolumeInfo(VolumeType.FILE, 1024, 1024), a.info());
    }

    @Test
    void missingVolumesAreAbsentOrNoSuchVolume() {
        assertEquals(Optional.empty(), pool.volume("none"));
        StorageException e = assertFails(ErrorCode.NO_SUCH_VOLUME, () -> pool.requireVolume("none"), "'none'",
                "'images'");
        assertEquals(Optional.of("volume 'none' in pool 'images'"), e.object());
    }

    @Test
    void anExistingNameIsRefusedBeforeTheDriverIsCalled() throws Exception {
        pool.createVolume(volume("disk", 10));
        Files.writeString(images.resolve("disk"), "precious");
        assertFails(ErrorCode.VOLUME_EXISTS, () -> pool.createVolume(volume("disk", 99)), "'disk'", "'images'");
        assertEquals("precious", Files.readString(images.resolve("disk")));
    }

    @Test
    void badVolumeNamesAreRefused() {
        DirectorySnapshot before = DirectorySnapshot.of(dir);
        for (String bad : List.of("", "a/b", "..", "-x", "nul\0", "x".repeat(256))) {
            assertFails(ErrorCode.INVALID_ARGUMENT, () -> pool.createVolume(volume(bad, 1)), "volume name");
            assertFails(ErrorCode.INVALID_ARGUMENT, () -> pool.volume(bad), "volume name");
        }
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> pool.createVolume(volume("neg", -1)), "capacity", "negative");
        assertFails(ErrorCode.INVALID_ARGUMENT,
                () -> pool.createVolume(VolumeDefinition.builder("neg", 1).allocation(-1).build()), "allocation");
        assertEquals(before, DirectorySnapshot.of(dir));
    }

    @Test
    void volumesAreFoundByKeyAcrossPools() {
        Volume v = pool.createVolume(volume("v", 1));
        Pool other = storage.definePool(dirPool("other", dir.resolve("other")));
        other.build(BuildMode.NO_OVERWRITE);
        other.start();
        Volume w = other.createVolume(volume("w", 1));

        assertEquals(Optional.of(v), storage.volumeByKey(v.key()));
        assertEquals(Optional.of(w), storage.volumeByKey(w.key()));
        assertEquals(Optional.empty(), storage.volumeByKey("/no/such/key"));
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> storage.volumeByKey(""), "key");
    }

    @Test
    void volumesAreFoundByAnySpellingOfTheirPath() throws Exception {
        Volume v = pool.createVolume(volume("disk.img", 1));
        Path linkedDir = Files.createSymbolicLink(dir.resolve("alias"), images);
        Path hardLink = Files.createLink(dir.resolve("hardlink.img"), images.resolve("disk.img"));

        assertEquals(Optional.of(v), storage.volumeByPath(images.resolve("disk.img")));
        assertEquals(Optional.of(v), storage.volumeByPath(dir.resolve("images/../images/disk.img")));
        assertEquals(Optional.of(v), storage.volumeByPath(linkedDir.resolve("disk.img")));
        assertEquals(Optional.of(v), storage.volumeByPath(hardLink));
        assertEquals(Optional.empty(), storage.volumeByPath(images.resolve("missing.img")));
        assertEquals(Optional.of(v), storage.volumeByPath(images.resolve("./disk.img")));
    }

    @Test
    void inactivePoolsHoldNoVolumesForLookups() {
        Volume v = pool.createVolume(volume("v", 1));
        pool.stop();
        assertEquals(Optional.empty(), storage.volumeByKey(v.key()));
        assertEquals(Optional.empty(), storage.volumeByPath(v.path()));
        assertFails(ErrorCode.POOL_NOT_ACTIVE, v::info, "not active");
    }

    @Test
    void aStaleHandleIsNoSuchVolume() throws Exception {
        Volume v = pool.createVolume(volume("v", 1));
        Volume sameVolume = pool.requireVolume("v");
        v.delete();
        assertFalse(Files.exists(images.resolve("v")));
        assertFails(ErrorCode.NO_SUCH_VOLUME, sameVolume::info, "'v'", "no longer exists");
        assertFails(ErrorCode.NO_SUCH_VOLUME, sameVolume::delete, "'v'");

        Volume w = pool.createVolume(volume("w", 1));
        Files.delete(images.resolve("w"));
        pool.refresh();
        assertFails(ErrorCode.NO_SUCH_VOLUME, () -> w.resize(10), "'w'");
        assertEquals(List.of(), pool.volumes());
    }

    @Test
    void aRefreshFindsVolumesMadeOutsideTheLibrary() throws Exception {
        Files.writeString(images.resolve("outside.img"), "x");
        assertEquals(Optional.empty(), pool.volume("outside.img"));
        pool.refresh();
        assertEquals(1, pool.requireVolume("outside.img").info().capacity());
    }

    @Test
    void resizeGrowsAndShrinksOnlyWhenAsked() {
        Volume v = pool.createVolume(volume("v", 1000));
        DirectorySnapshot before = DirectorySnapshot.of(images);
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.resize(0), "positive");
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.resize(-5), "positive");
        StorageException e = assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.resize(10), "ALLOW_SHRINK", "1000");
        assertEquals(Optional.of("vol-resize"), e.operation());
        assertEquals(before, DirectorySnapshot.of(images));

        v.resize(5000);
        assertEquals(5000, v.info().capacity());
        v.resize(10, ResizeOption.ALLOW_SHRINK);
        assertEquals(10, v.info().capacity());
    }

    @Test
    void uploadAndDownloadCheckTheirRange() throws Exception {
        Volume v = pool.createVolume(volume("v", 16));
        for (long bad : List.of(-1L, -100L)) {
            assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.download(bad, 1), "offset", "negative");
            assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.upload(bad, 1), "offset", "negative");
        }
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.download(0, -2), "length", "negative");
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.upload(17, -1), "beyond the end", "16");
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.download(17, 0), "beyond the end");
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.upload(8, 9), "past the end");
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.download(8, Long.MAX_VALUE), "past the end");

        try (WritableByteChannel out = v.upload(4, 5)) {
            out.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        }
        ByteBuffer read = ByteBuffer.allocate(5);
        try (ReadableByteChannel in = v.download(4, 5)) {
            while (read.hasRemaining() && in.read(read) >= 0) {
                // reading
            }
        }
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), read.array());
    }

    @Test
    void snapshotsAreVolumesWithCheckedNames() {
        Volume v = pool.createVolume(volume("v", 8));
        pool.createVolume(volume("taken", 8));
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.snapshot("../escape"), "snapshot name", "'/'");
        assertFails(ErrorCode.VOLUME_EXISTS, () -> v.snapshot("taken"), "'taken'");
        Volume snap = v.snapshot("v-snap");
        assertEquals(Optional.of(snap), pool.volume("v-snap"));
        assertEquals(8, snap.info().capacity());
    }

    @Test
    void wipeReportsProgress() {
        Volume v = pool.createVolume(volume("v", 100));
        AtomicLong seen = new AtomicLong();
        v.wipe(WipeAlgorithm.ZERO, (done, total) -> seen.set(done));
        assertEquals(100, seen.get());
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> v.wipe(null, ProgressListener.NONE), "wipe algorithm");
    }

    @Test
    void cloneCopiesWithinThePool() throws Exception {
        Volume v = pool.createVolume(volume("v", 5));
        Files.writeString(images.resolve("v"), "hello");
        Volume copy = v.cloneAs("copy", ProgressListener.NONE);
        assertEquals("hello", Files.readString(copy.path()));
        assertEquals(Optional.of(copy), pool.volume("copy"));
    }

    @Test
    void copiesCrossPoolsInEitherDirection() throws Exception {
        Pool other = storage.definePool(dirPool("a-other", dir.resolve("other")));
        other.build(BuildMode.NO_OVERWRITE);
        other.start();
        Volume v = pool.createVolume(volume("v", 5));
        Files.writeString(images.resolve("v"), "hello");

        Volume there = other.createVolumeFrom(volume("there", 5), v, ProgressListener.NONE);
        assertEquals("hello", Files.readString(there.path()));
        Volume back = pool.createVolumeFrom(volume("back", 5), there, ProgressListener.NONE);
        assertEquals("hello", Files.readString(back.path()));
        assertFails(ErrorCode.VOLUME_EXISTS,
                () -> other.createVolumeFrom(volume("there", 5), v, ProgressListener.NONE), "'there'");
    }

    @Test
    void copiesFromAnInactivePoolAreRefused() {
        Pool other = storage.definePool(dirPool("other", dir.resolve("other")));
        other.build(BuildMode.NO_OVERWRITE);
        other.start();
        Volume v = other.createVolume(volume("v", 5));
        other.stop();
        assertFails(ErrorCode.POOL_NOT_ACTIVE, () -> pool.createVolumeFrom(volume("c", 5), v, ProgressListener.NONE),
                "'other'");
    }

    @Test
    void anInterruptedCopyIsCancelledAndLeavesNothing() throws Exception {
        Volume v = pool.createVolume(volume("v", 1 << 20));
        Thread.currentThread().interrupt();
        try {
            assertFails(ErrorCode.CANCELLED, () -> v.cloneAs("copy", ProgressListener.NONE));
            assertTrue(Thread.interrupted(), "the interrupt stays set for the caller");
        } finally {
            Thread.interrupted();
        }
        assertFalse(Files.exists(images.resolve("copy")));
        assertEquals(Optional.empty(), pool.volume("copy"));
    }

    @Test
    void anInterruptDuringTheCopyIsCancelled() throws Exception {
        Volume v = pool.createVolume(volume("v", 1 << 20));
        Thread self = Thread.currentThread();
        ProgressListener interruptMidway = (done, total) -> self.interrupt();
        try {
            StorageException e = assertThrows(StorageException.class,
                    () -> pool.createVolumeFrom(volume("copy", 1 << 20), v, interruptMidway));
            assertEquals(ErrorCode.CANCELLED, e.code(), e::getMessage);
        } finally {
            Thread.interrupted();
        }
        assertFalse(Files.exists(images.resolve("copy")));
        assertEquals(Optional.empty(), pool.volume("copy"));
    }

    @Test
    void threadsCreatingVolumesAtOnceAllSucceed() throws Exception {
        List<Thread> threads = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int first = t * 25;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = first; i < first + 25; i++) {
                    pool.createVolume(volume(String.format("v%03d", i), 1));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        List<String> cached = pool.volumes().stream().map(Volume::name).toList();
        assertEquals(100, cached.size());
        pool.refresh();
        assertEquals(cached, pool.volumes().stream().map(Volume::name).toList());
    }

    @Test
    void copiesBetweenPoolsInOppositeDirectionsDoNotDeadlock() throws Exception {
        Pool other = storage.definePool(dirPool("other", dir.resolve("other")));
        other.build(BuildMode.NO_OVERWRITE);
        other.start();
        Volume here = pool.createVolume(volume("here", 1 << 16));
        Volume there = other.createVolume(volume("there", 1 << 16));
        Thread forth = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 20; i++) {
                other.createVolumeFrom(volume("f" + i, 1 << 16), here, ProgressListener.NONE);
            }
        });
        for (int i = 0; i < 20; i++) {
            pool.createVolumeFrom(volume("b" + i, 1 << 16), there, ProgressListener.NONE);
        }
        forth.join();
        assertEquals(21, other.volumes().size());
        assertEquals(21, pool.volumes().size());
    }

    @Test
    void infoShowsTheVolumeAsItIsNowNotAsTheLastRefreshSawIt() throws Exception {
        Volume disk = pool.createVolume(volume("grows.img", 4096));
        Files.write(images.resolve("grows.img"), new byte[8192]); // another tool writes it

        assertEquals(8192, disk.info().capacity());
        assertEquals(8192, pool.requireVolume("grows.img").definition().capacity());
    }

    @Test
    void infoOfAVolumeDeletedBehindOurBackIsNoSuchVolume() throws Exception {
        Volume disk = pool.createVolume(volume("gone.img", 4096));
        Files.delete(images.resolve("gone.img"));

        StorageException e = assertThrows(StorageException.class, disk::info);
        assertEquals(ErrorCode.NO_SUCH_VOLUME, e.code());
        assertTrue(pool.volume("gone.img").isEmpty(), "the vanished volume leaves the pool's list");
    }
}
