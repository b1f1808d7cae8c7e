package org.libstorage.benchmarks;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

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
 * A throwaway {@code dir} pool, reached only through the public API: its own configuration
 * directory and pool directory under one scratch folder, all removed on close.
 */
final class DirPoolFixture implements AutoCloseable {
    /** Each volume the benchmarks make: 1 GiB, raw, nothing allocated. */
    static final long VOLUME_CAPACITY = 1L << 30;

    private final Path scratch;
    private final Storage storage;
    private final Pool pool;

    private DirPoolFixture(Path scratch, Storage storage, Pool pool) {
        this.scratch = scratch;
        this.storage = storage;
        this.pool = pool;
    }

    /**
     * A started pool whose directory lies under {@code parent} (a real disk filesystem, not
     * tmpfs, so the numbers mean something).
     */
    static DirPoolFixture create(Path parent, String poolName) {
        try {
            Files.createDirectories(parent);
            Path scratch = Files.createTempDirectory(parent, "libstorage-bench-");
            Storage storage = Storage.open(StorageConfig.ofDirectory(scratch.resolve("config")));
            try {
                Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, poolName)
                        .targetPath(scratch.resolve(poolName)).build());
                pool.build(BuildMode.NO_OVERWRITE);
                pool.start();
                return new DirPoolFixture(scratch, storage, pool);
            } catch (RuntimeException e) {
                storage.close();
                deleteTree(scratch);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The benchmarks' scratch parent: {@code -Dlibstorage.bench.dir}, else {@code /var/tmp}. */
    static Path scratchParent() {
        return Path.of(System.getProperty("libstorage.bench.dir", "/var/tmp"));
    }

    Storage storage() {
        return storage;
    }

    Pool pool() {
        return pool;
    }

    Path poolDirectory() {
        return pool.definition().targetPath().orElseThrow();
    }

    static VolumeDefinition sparseRaw(String name) {
        return VolumeDefinition.builder(name, VOLUME_CAPACITY).allocation(0).format(VolumeFormat.RAW).build();
    }

    /**
     * Makes {@code count} sparse raw files directly in the pool directory, as another program
     * would, so setting up a large pool does not depend on the speed being measured; a refresh
     * then finds them.
     */
    void populateOutsideTheLibrary(int count) {
        for (int i = 0; i < count; i++) {
            try (RandomAccessFile file = new RandomAccessFile(poolDirectory().resolve(volumeName(i)).toFile(), "rw")) {
                file.setLength(VOLUME_CAPACITY);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        pool.refresh();
    }

    static String volumeName(int index) {
        return "vol-%06d.img".formatted(index);
    }

    /** Deletes every volume through the API. */
    void deleteAllVolumes() {
        for (Volume volume : pool.volumes()) {
            volume.delete();
        }
    }

    @Override
    public void close() {
        try {
            if (pool.isActive()) {
                pool.stop();
            }
        } finally {
            storage.close();
            deleteTree(scratch);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    if (failure != null) {
                        throw failure;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
