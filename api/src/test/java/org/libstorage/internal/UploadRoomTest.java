package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.libstorage.internal.StorageTestSupport.assertFails;
import static org.libstorage.internal.StorageTestSupport.dirPool;

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolInfo;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;

/**
 * An upload of known length is checked against the pool's free space by the library itself,
 * before anything is written, so every program gets the check storagectl had.
 */
class UploadRoomTest {
    @TempDir
    Path dir;
    Storage storage;
    Pool pool;
    Volume huge;
    long free;

    @BeforeEach
    void open() throws Exception {
        storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")));
        pool = storage.definePool(dirPool("p", dir.resolve("p")));
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        free = pool.info().available();
        // Sparse and larger than the free space: it takes no room, but an upload into it may.
        huge = pool.createVolume(VolumeDefinition.builder("huge.sparse", free + (2L << 40)).build());
    }

    @AfterEach
    void close() {
        storage.close();
    }

    @Test
    void anUploadThatCannotFitTheFreeSpaceIsRefusedWithTheNumbersBeforeAnythingIsWritten() throws Exception {
        long length = free + (1L << 40);

        StorageException e = assertFails(ErrorCode.NO_SPACE, () -> huge.upload(0, length),
                "Uploading " + length + " bytes (" + length + " of them data)", "bytes free", "nothing was written");

        assertEquals(java.util.Optional.of("vol-upload"), e.operation());
        assertEquals(free + (2L << 40), Files.size(dir.resolve("p/huge.sparse")));
        assertEquals(0, huge.info().allocation(), "not a byte was written");
    }

    @Test
    void anUploadWhoseDataFitsIsAllowedHowEverLongItsHolesAre() throws Exception {
        long length = free + (1L << 40);
        try (WritableByteChannel channel = huge.upload(0, length, 4096)) {
            channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> huge.upload(0, 10, 11), "not between 0 and 10");
    }

    @Test
    void aPoolThatCannotTellItsSpaceIsNotCheckedAndSaysSo() throws Exception {
        Files.createFile(dir.resolve("p").resolve(FakeDirBackend.SPACE_UNKNOWN));
        pool.refresh();

        PoolInfo info = pool.info();
        assertFalse(info.spaceKnown());
        assertEquals(0, info.available());
        huge.upload(0, free + (1L << 40)).close();
    }

    @Test
    void aRangePastTheVolumesEndIsRefusedWithItsNumbers() {
        long capacity = free + (2L << 40);
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> huge.upload(capacity, 1),
                "runs past the end of volume 'huge.sparse'", "capacity " + capacity);
    }
}
