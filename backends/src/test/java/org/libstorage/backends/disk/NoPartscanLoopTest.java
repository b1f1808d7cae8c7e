package org.libstorage.backends.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.testing.Requirements;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolDriver;

/**
 * A loop device attached without partition scanning cannot show partitions: a disk pool on it is
 * refused before anything is written, instead of writing a label and then failing to make the
 * kernel see it (and later reporting partition sizes the kernel does not have).
 */
class NoPartscanLoopTest {
    @TempDir
    Path dir;

    @Test
    void buildOnALoopDeviceWithoutPartitionScanningWritesNothing() throws Exception {
        new LoopFixture(dir).close(); // the same requirements: root and loop devices
        Requirements.require(Requirements.hasCommand("losetup"), "losetup (util-linux) to attach without --partscan");
        Path image = dir.resolve("noscan.img");
        try (var channel = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(0);
            channel.write(java.nio.ByteBuffer.allocate(1), 32 * LoopFixture.MIB - 1);
        }
        Path loop = Path.of(LoopFixture.run("losetup", "--find", "--show", image.toString()).strip());
        try {
            assertEquals("0", Files.readString(Path.of("/sys/class/block", loop.getFileName().toString(), "loop",
                    "partscan")).strip(), "attached without partition scanning");
            byte[] before = LoopFixture.fingerprint(loop);
            PoolDefinition definition = PoolDefinition.builder(PoolType.DISK, "noscan")
                    .source(PoolSource.builder().device(loop).format("gpt").build()).build();
            PoolDriver pool = new DiskBackend().open(definition, new BackendContext(dir.resolve("state"), null));

            StorageException e = assertThrows(StorageException.class, () -> pool.build(BuildMode.NO_OVERWRITE));
            assertEquals(ErrorCode.OPERATION_UNSUPPORTED, e.code());
            assertTrue(e.getMessage().contains("without partition scanning") && e.getMessage().contains(loop.toString()),
                    e.getMessage());
            assertArrayEquals(before, LoopFixture.fingerprint(loop), "nothing was written");
            assertEquals(ErrorCode.OPERATION_UNSUPPORTED, assertThrows(StorageException.class, pool::start).code());
        } finally {
            LoopFixture.run("losetup", "--detach", loop.toString());
        }
    }
}
