package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.backends.dir.Pools.GIB;
import static org.libstorage.backends.dir.Pools.MIB;
import static org.libstorage.backends.dir.Pools.fails;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolStatus;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.ResizeOption;
import org.libstorage.StageHook;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;

/**
 * Long operations are jobs: they claim their volume, let go of the pool's lock while data moves,
 * and the claim refuses what would spoil them ({@code VOLUME_BUSY}), in this process and in
 * others, until they end. Jobs are held at a stage with a {@link StageHook}, never timed.
 */
class JobsTest {
    private static final long PID = ProcessHandle.current().pid();

    @TempDir
    Path temp;

    /** Holds the first job of {@code operation} that reaches {@code stage} until {@link #release}. */
    private static final class Gate implements StageHook {
        private final String operation;
        private final String stage;
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        Gate(String operation, String stage) {
            this.operation = operation;
            this.stage = stage;
        }

        @Override
        public void reached(String of, String at) {
            if (of.equals(operation) && at.equals(stage) && reached.getCount() > 0) {
                reached.countDown();
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void awaitReached() throws InterruptedException {
            assertTrue(reached.await(2, TimeUnit.MINUTES), "no job reached " + stage);
        }

        void release() {
            released.countDown();
        }
    }

    private Path config() {
        return temp.resolve("config");
    }

    private Pool startedPool(Storage storage, String name) {
        Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, name).targetPath(temp.resolve(name)).build());
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        return pool;
    }

    /** A 1 GiB raw volume holding 8 MiB of data at its start and 8 MiB at its end. */
    private Volume gibVolume(Pool pool, String name) throws Exception {
        Volume volume = pool.createVolume(VolumeDefinition.builder(name, GIB).build());
        try (RandomAccessFile file = new RandomAccessFile(volume.path().toFile(), "rw")) {
            byte[] data = new byte[(int) (8 * MIB)];
            new java.util.Random(7).nextBytes(data);
            file.write(data);
            file.seek(GIB - data.length);
            file.write(data);
        }
        return volume;
    }

    private static void assertBusy(org.junit.jupiter.api.function.Executable call, String... words) {
        fails(ErrorCode.VOLUME_BUSY, call, words);
    }

    @Test
    void aVolumeBeingWipedRefusesWhatWouldSpoilItInThisProcess() throws Exception {
        Gate gate = new Gate("vol-wipe", "claimed");
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config()).withStageHook(gate))) {
            Pool pool = startedPool(storage, "images");
            Volume volume = gibVolume(pool, "disk.img");
            CompletableFuture<Void> wipe = CompletableFuture.runAsync(
                    () -> volume.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE));
            gate.awaitReached();

            assertBusy(volume::delete, "disk.img", "being written by vol-wipe", "process " + PID);
            assertBusy(() -> volume.resize(2 * GIB), "vol-wipe");
            assertBusy(() -> volume.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE), "vol-wipe");
            assertBusy(() -> volume.upload(0, -1), "vol-wipe");
            assertBusy(() -> volume.download(0, -1), "vol-wipe");
            assertBusy(pool::stop, "has jobs running", "vol-wipe");
            // Reads go on: the pool's lock is free while the wipe runs.
            assertEquals(List.of("disk.img"), pool.volumes().stream().map(Volume::name).toList());
            assertTrue(pool.status().active());
            assertEquals(GIB, volume.info().capacity());

            gate.release();
            wipe.get(2, TimeUnit.MINUTES);
            volume.resize(2 * GIB);
            volume.delete();
            pool.stop();
        }
    }

    @Test
    void aCloneIsHiddenUntilCompleteAndItsSourceMayBeReadButNotChanged() throws Exception {
        Gate gate = new Gate("vol-create-from", "temporary-created");
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config()).withStageHook(gate))) {
            Pool pool = startedPool(storage, "images");
            Volume source = gibVolume(pool, "base.img");
            CompletableFuture<Volume> clone = CompletableFuture.supplyAsync(
                    () -> source.cloneAs("copy.img", ProgressListener.NONE));
            gate.awaitReached();

            pool.refresh();
            assertEquals(List.of("base.img"), pool.volumes().stream().map(Volume::name).toList());
            assertTrue(pool.volume("copy.img").isEmpty());
            try (Stream<Path> files = Files.list(temp.resolve("images"))) {
                assertEquals(1, files.filter(p -> p.getFileName().toString().startsWith(".libstorage-tmp-")).count(),
                        "the clone is filled under a hidden temporary name");
            }
            fails(ErrorCode.VOLUME_BUSY, () -> pool.createVolume(VolumeDefinition.builder("copy.img", GIB).build()),
                    "copy.img", "being created by vol-create-from");
            assertBusy(source::delete, "being read by vol-create-from");
            assertBusy(() -> source.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE), "being read");
            try (ReadableByteChannel again = source.download(0, 16)) {
                assertEquals(16, again.read(ByteBuffer.allocate(16)), "a source being read may be read again");
            }

            gate.release();
            Volume copy = clone.get(2, TimeUnit.MINUTES);
            assertEquals(List.of("base.img", "copy.img"), pool.volumes().stream().map(Volume::name).toList());
            assertEquals(-1, Files.mismatch(source.path(), copy.path()));
            source.delete();
        }
    }

    @Test
    void anOpenUploadHoldsItsClaimUntilClosed() throws Exception {
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config()))) {
            Pool pool = startedPool(storage, "images");
            Volume volume = pool.createVolume(VolumeDefinition.builder("disk.img", MIB).build());
            WritableByteChannel upload = volume.upload(0, -1);
            upload.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertBusy(volume::delete, "being written by vol-upload");
            assertBusy(() -> volume.resize(1, ResizeOption.ALLOW_SHRINK), "vol-upload");
            assertBusy(() -> volume.upload(0, -1), "vol-upload");
            upload.close();
            volume.resize(1, ResizeOption.ALLOW_SHRINK);
            volume.delete();
        }
    }

    @Test
    void anotherProcessListsPoolsAndIsRefusedWhileACloneAndAWipeRun() throws Exception {
        Path config = config();
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool pool = startedPool(storage, "images");
            gibVolume(pool, "base.img");
            gibVolume(pool, "scratch.img");
            try (Child clone = Child.heldAt(config, "claimed", "clone", "images", "base.img", "copy.img");
                 Child wipe = Child.heldAt(config, "claimed", "wipe", "images", "scratch.img")) {
                // pool-list: one status per pool, while both jobs hold their volumes.
                List<PoolStatus> listing = storage.pools().stream().map(Pool::status).toList();
                assertEquals(1, listing.size());
                assertTrue(listing.getFirst().active());
                pool.refresh();
                assertEquals(List.of("base.img", "scratch.img"), pool.volumes().stream().map(Volume::name).toList());

                Volume base = pool.requireVolume("base.img");
                Volume scratch = pool.requireVolume("scratch.img");
                assertBusy(base::delete, "being read by vol-create-from", "process " + clone.pid());
                assertBusy(scratch::delete, "being written by vol-wipe", "process " + wipe.pid());
                assertBusy(() -> scratch.resize(2 * GIB), "process " + wipe.pid());
                assertBusy(() -> scratch.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE), "process " + wipe.pid());
                assertBusy(() -> scratch.upload(0, -1), "process " + wipe.pid());
                assertBusy(pool::stop, "has jobs running", "process " + clone.pid(), "process " + wipe.pid());
                fails(ErrorCode.VOLUME_BUSY, () -> pool.createVolume(VolumeDefinition.builder("copy.img", GIB).build()),
                        "being created", "process " + clone.pid());

                clone.release();
                wipe.release();
            }
            // Their commits reach this process's listing (the pool's changes stamp moved).
            assertEquals(List.of("base.img", "copy.img", "scratch.img"),
                    pool.volumes().stream().map(Volume::name).toList());
            Volume scratch = pool.requireVolume("scratch.img");
            scratch.resize(2 * GIB);
            scratch.upload(0, -1).close();
            scratch.delete();
            pool.requireVolume("base.img").delete();
            pool.stop();
        }
    }

    @Test
    void anUploadInAnotherProcessRefusesDeleteUntilItEnds() throws Exception {
        Path config = config();
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool pool = startedPool(storage, "images");
            Volume volume = pool.createVolume(VolumeDefinition.builder("disk.img", MIB).build());
            try (Child upload = Child.heldAt(config, "uploading", "upload", "images", "disk.img")) {
                assertBusy(volume::delete, "being written by vol-upload", "process " + upload.pid());
                assertBusy(pool::stop, "vol-upload");
                upload.release();
            }
            try (ReadableByteChannel in = volume.download(0, 8)) {
                ByteBuffer read = ByteBuffer.allocate(8);
                in.read(read);
                assertEquals("uploaded", new String(read.array(), StandardCharsets.UTF_8));
            }
            volume.delete();
        }
    }

    @Test
    void aClaimDiesWithItsProcess() throws Exception {
        Path config = config();
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool pool = startedPool(storage, "images");
            Volume volume = pool.createVolume(VolumeDefinition.builder("disk.img", MIB).build());
            try (Child upload = Child.heldAt(config, "uploading", "upload", "images", "disk.img")) {
                assertBusy(volume::delete, "process " + upload.pid());
                upload.kill();
            }
            volume.delete();
            assertFalse(Files.list(config.resolve("run/storage/jobs/images")).anyMatch(p -> p.toString().endsWith(".claim")));
            pool.stop();
        } catch (StorageException e) {
            throw e;
        }
    }
}
