package org.libstorage.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.libstorage.BackendStatus;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolState;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/**
 * A test backend for {@code dir} pools: plain files in the target directory, done with
 * java.nio only. A volume named {@code explode} makes the driver fail with a bare runtime
 * exception, as a buggy driver would; a file {@value #REFRESH_FAILS} makes refresh fail.
 */
public final class FakeDirBackend implements PoolBackend {
    /** A file of this name in the pool's directory makes refresh fail. */
    static final String REFRESH_FAILS = ".refresh-fails";
    /** A file of this name in the pool directory makes refresh report the space as unknown. */
    static final String SPACE_UNKNOWN = ".space-unknown";

    @Override
    public PoolType type() {
        return PoolType.DIR;
    }

    @Override
    public BackendStatus status() {
        return BackendStatus.available(PoolType.DIR, "test fake");
    }

    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        if (definition.targetPath().isEmpty()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, "pool '" + definition.name() + "'", "pool-define",
                    "A dir pool needs a target path (<target><path>).");
        }
        return definition;
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        return new Driver(definition);
    }

    static final class Driver implements PoolDriver {
        private final PoolDefinition definition;
        private final Path dir;

        Driver(PoolDefinition definition) {
            this.definition = definition;
            this.dir = definition.targetPath().orElseThrow();
        }

        @Override
        public PoolDefinition definition() {
            return definition;
        }

        @Override
        public void build(BuildMode mode) {
            run(() -> Files.createDirectories(dir));
        }

        @Override
        public void start() {
            if (!Files.isDirectory(dir)) {
                throw new StorageException(ErrorCode.IO_ERROR, "pool '" + definition.name() + "'", "pool-start",
                        "The target directory " + dir + " does not exist; build the pool first.");
            }
        }

        @Override
        public void stop() {
        }

        @Override
        public boolean isActive() {
            return Files.isDirectory(dir);
        }

        @Override
        public void delete() {
            run(() -> Files.deleteIfExists(dir));
        }

        @Override
        public PoolContents refresh() {
            if (Files.exists(dir.resolve(REFRESH_FAILS))) {
                throw new StorageException(ErrorCode.IO_ERROR, "pool '" + definition.name() + "'", "pool-refresh",
                        "Cannot scan " + dir + ": the test asked refresh to fail.");
            }
            List<VolumeDefinition> volumes = new ArrayList<>();
            io(() -> {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                    for (Path file : files) {
                        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                                && !file.getFileName().toString().startsWith(".")) {
                            volumes.add(describe(file));
                        }
                    }
                }
                return null;
            });
            if (Files.exists(dir.resolve(SPACE_UNKNOWN))) {
                return new PoolContents(PoolInfo.spaceUnknown(PoolState.RUNNING, List.of("the test hid the space")), volumes);
            }
            FileStore store = io(() -> Files.getFileStore(dir));
            long capacity = io(store::getTotalSpace);
            long available = io(store::getUsableSpace);
            return new PoolContents(new PoolInfo(PoolState.RUNNING, capacity, capacity - available, available), volumes);
        }

        @Override
        public java.util.Optional<VolumeDefinition> describeVolume(VolumeDefinition volume) {
            Path file = volume.path().orElseThrow();
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(io(() -> describe(file)));
        }

        private static VolumeDefinition describe(Path file) throws IOException {
            return VolumeDefinition.builder(file.getFileName().toString(), Files.size(file))
                    .type(VolumeType.FILE)
                    .key(file.toString())
                    .path(file)
                    // Java cannot read st_blocks: a volume named *.sparse says it holds nothing.
                    .allocation(file.getFileName().toString().endsWith(".sparse") ? 0 : Files.size(file))
                    .format(VolumeFormat.RAW)
                    .build();
        }

        @Override
        public VolumeDefinition createVolume(VolumeDefinition volume) {
            if (volume.name().equals("explode")) {
                throw new IllegalStateException("the fake driver exploded");
            }
            if (volume.name().equals("anonymous-failure")) {
                // As a lower layer does: it knows what failed, not which object or user operation.
                throw new StorageException(ErrorCode.NO_SPACE, null, null, "The helper ran out of room.");
            }
            Path file = dir.resolve(volume.name());
            return io(() -> {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    if (volume.capacity() > 0) {
                        channel.write(ByteBuffer.allocate(1), volume.capacity() - 1);
                    }
                }
                return describe(file);
            });
        }

        @Override
        public VolumeDefinition createVolumeFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
            Path file = dir.resolve(volume.name());
            try (ReadableByteChannel in = source.open();
                 FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.allocate(8192);
                long done = 0;
                while (in.read(buffer) >= 0) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new StorageException(ErrorCode.CANCELLED, "volume '" + volume.name() + "'",
                                "vol-create-from", "The copy into volume '" + volume.name() + "' was interrupted.");
                    }
                    buffer.flip();
                    done += out.write(buffer);
                    buffer.clear();
                    progress.progress(done, source.definition().capacity());
                }
                if (volume.capacity() > done) {
                    out.write(ByteBuffer.allocate(1), volume.capacity() - 1);
                }
            } catch (IOException | RuntimeException e) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                if (e instanceof RuntimeException r) {
                    throw r;
                }
                throw new UncheckedIOException((IOException) e);
            }
            return io(() -> describe(file));
        }

        @Override
        public void deleteVolume(VolumeDefinition volume) {
            run(() -> Files.delete(volume.path().orElseThrow()));
        }

        @Override
        public VolumeDefinition resizeVolume(VolumeDefinition volume, long capacity, boolean allowShrink, boolean allocate) {
            Path file = volume.path().orElseThrow();
            return io(() -> {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    if (capacity < channel.size()) {
                        channel.truncate(capacity);
                    } else if (capacity > channel.size()) {
                        channel.write(ByteBuffer.allocate(1), capacity - 1);
                    }
                }
                return describe(file);
            });
        }

        @Override
        public void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
            Path file = volume.path().orElseThrow();
            io(() -> {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    long size = channel.size();
                    channel.truncate(0);
                    if (size > 0) {
                        channel.write(ByteBuffer.allocate(1), size - 1);
                    }
                    progress.progress(size, size);
                }
                return null;
            });
        }

        @Override
        public VolumeDefinition snapshotVolume(VolumeDefinition volume, String snapshotName) {
            Path copy = dir.resolve(snapshotName);
            return io(() -> {
                Files.copy(volume.path().orElseThrow(), copy, StandardCopyOption.COPY_ATTRIBUTES);
                return describe(copy);
            });
        }

        @Override
        public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
            return io(() -> {
                SeekableByteChannel channel = Files.newByteChannel(volume.path().orElseThrow(), StandardOpenOption.READ);
                channel.position(offset);
                return channel;
            });
        }

        @Override
        public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
            return io(() -> {
                SeekableByteChannel channel = Files.newByteChannel(volume.path().orElseThrow(), StandardOpenOption.WRITE);
                channel.position(offset);
                return channel;
            });
        }
    }

    @FunctionalInterface
    interface IoCall<T> {
        T call() throws IOException;
    }

    @FunctionalInterface
    interface IoRun {
        void run() throws IOException;
    }

    static <T> T io(IoCall<T> call) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void run(IoRun run) {
        io(() -> {
            run.run();
            return null;
        });
    }
}
