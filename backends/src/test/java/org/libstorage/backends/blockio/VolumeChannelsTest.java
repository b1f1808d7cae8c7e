package org.libstorage.backends.blockio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.nativelib.Libc;

/**
 * The engine behind the public API's channels, as storagectl drives it: the core's claimed
 * channel is seen through, so an upload of a sparse file into a dir volume uses the file fast
 * path and punches the holes, a download skips them, and closing releases the volume's claim.
 */
class VolumeChannelsTest {
    private static final long MIB = 1L << 20;
    private static final IoContext CONTEXT = new IoContext("volume 'disk.img' in pool 'images'", "vol-upload");

    @TempDir
    Path temp;

    @Test
    void uploadAndDownloadThroughTheCoreKeepHolesAndReleaseTheClaim() throws IOException {
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(temp.resolve("config")))) {
            Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, "images")
                    .targetPath(temp.resolve("images")).build());
            pool.build(BuildMode.NO_OVERWRITE);
            pool.start();
            Volume volume = pool.createVolume(VolumeDefinition.builder("disk.img", 32 * MIB).build());
            // Old data everywhere, which the upload's hole must replace with zeros.
            byte[] old = new byte[(int) (32 * MIB)];
            java.util.Arrays.fill(old, (byte) 0x77);
            Files.write(volume.path(), old);

            Path input = temp.resolve("input.img");
            byte[] data = new byte[(int) (32 * MIB)];
            byte[] head = new byte[(int) MIB];
            new SplittableRandom(5).nextBytes(head);
            System.arraycopy(head, 0, data, 0, head.length);
            try (FileChannel out = FileChannel.open(input, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap(head), 0);
                out.truncate(32 * MIB);
                out.write(ByteBuffer.wrap(new byte[1]), 32 * MIB - 1);
            }

            CopyEngine.Copied copied;
            try (FdChannel in = FdChannel.openForReading(input, -1, CONTEXT);
                 DataSink target = Streams.sink(volume.upload(0, -1), in.size(), "volume 'disk.img'", CONTEXT)) {
                StorageException busy = assertThrows(StorageException.class, volume::delete);
                assertEquals(ErrorCode.VOLUME_BUSY, busy.code(), "the upload holds the volume's claim");
                copied = CopyEngine.copy(in, target, ProgressListener.NONE, CONTEXT);
            }
            assertNotEquals(CopyEngine.Strategy.BUFFERED, copied.strategy(), "the core's channel was seen through");
            assertArrayEquals(data, Files.readAllBytes(volume.path()));
            assertTrue(Libc.instance().statx(volume.path(), false).allocatedBytes() <= 2 * MIB,
                    "the input's hole became a hole in the volume");

            Path output = temp.resolve("output.img");
            try (DataSource source = Streams.source(volume.download(0, -1), 32 * MIB, "volume 'disk.img'", CONTEXT);
                 FileRangeChannel out = FileRangeChannel.createForWriting(output, source.size(),
                         FileRangeChannel.Zeroing.ALREADY_ZERO, CONTEXT)) {
                assertTrue(source.knowsHoles(), "the download's holes are known, not read");
                CopyEngine.copy(source, out, ProgressListener.NONE, CONTEXT);
            }
            assertArrayEquals(data, Files.readAllBytes(output));
            assertTrue(Libc.instance().statx(output, false).allocatedBytes() <= 2 * MIB);

            volume.delete(); // both claims were released by closing
        }
    }
}
