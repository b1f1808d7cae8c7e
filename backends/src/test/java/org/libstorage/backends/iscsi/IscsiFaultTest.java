package org.libstorage.backends.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.SecretStore;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.nativelib.Iscsi;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolDriver;
import org.libstorage.testing.Tgtd;

/**
 * A target that dies or stops answering in the middle of a transfer: the transfer ends with a
 * precise error on the thread that ran it, which does not hang. Each test has its own tgtd,
 * killed or frozen on purpose. The futures' generous waits only keep a broken build from
 * hanging; they are not timing assertions.
 */
class IscsiFaultTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    Tgtd tgtd;
    String target;
    final ExecutorService worker = Executors.newSingleThreadExecutor();

    @BeforeEach
    void startTarget() throws Exception {
        tgtd = Tgtd.start(dir);
        target = tgtd.target(1, "fragile", Tgtd.backing(dir, "lun.img", 64 * MIB));
    }

    @AfterEach
    void stopTarget() throws Exception {
        worker.shutdownNow();
        if (tgtd != null) {
            tgtd.close();
        }
    }

    private PoolDriver driver() {
        PoolDefinition definition = IscsiDirectPoolTest.pool("fragile", tgtd.port(), target, Optional.empty());
        PoolDriver driver = new IscsiDirectBackend(Iscsi.library(), Duration.ofSeconds(2))
                .open(definition, new BackendContext(dir.resolve("state"), SecretStore.NONE));
        driver.start();
        return driver;
    }

    private static VolumeDefinition lun(PoolDriver driver) {
        return IscsiDirectPoolTest.volume(driver.refresh(), "unit:0:0:1");
    }

    @Test
    void aTargetKilledMidDownloadEndsTheReadWithAConnectionError() throws Exception {
        PoolDriver driver = driver();
        VolumeDefinition lun = lun(driver);
        Future<StorageException> download = worker.submit(() -> {
            try (ReadableByteChannel in = driver.openRead(lun, 0, -1)) {
                ByteBuffer buffer = ByteBuffer.allocate((int) MIB);
                for (int i = 0; ; i++) {
                    buffer.clear();
                    if (in.read(buffer) < 0) {
                        in.close();
                        return null;
                    }
                    if (i == 2) {
                        tgtd.kill();
                    }
                }
            } catch (StorageException e) {
                return e;
            }
        });
        StorageException e = download.get(60, TimeUnit.SECONDS);
        assertTrue(e != null, "the download should have failed");
        assertEquals(ErrorCode.IO_ERROR, e.code(), e::getMessage);
        assertTrue(e.getMessage().contains("LUN 1 of target " + target), e.getMessage());
    }

    @Test
    void aTargetKilledMidUploadEndsTheWriteWithAConnectionError() throws Exception {
        PoolDriver driver = driver();
        VolumeDefinition lun = lun(driver);
        Future<StorageException> upload = worker.submit(() -> {
            try (WritableByteChannel out = driver.openWrite(lun, 0, -1)) {
                ByteBuffer buffer = ByteBuffer.allocate((int) MIB);
                for (int i = 0; i < 64; i++) {
                    buffer.clear();
                    out.write(buffer);
                    if (i == 2) {
                        tgtd.kill();
                    }
                }
                return null;
            } catch (StorageException e) {
                return e;
            }
        });
        StorageException e = upload.get(60, TimeUnit.SECONDS);
        assertTrue(e != null, "the upload should have failed");
        assertEquals(ErrorCode.IO_ERROR, e.code(), e::getMessage);
    }

    @Test
    void aTargetThatStopsAnsweringTimesOut() throws Exception {
        PoolDriver driver = driver();
        VolumeDefinition lun = lun(driver);
        Future<StorageException> download = worker.submit(() -> {
            try (ReadableByteChannel in = driver.openRead(lun, 0, -1)) {
                ByteBuffer buffer = ByteBuffer.allocate((int) MIB);
                in.read(buffer);
                tgtd.pause();
                buffer.clear();
                while (buffer.hasRemaining()) {
                    in.read(buffer);
                }
                in.read(buffer.clear());
                return null;
            } catch (StorageException e) {
                return e;
            }
        });
        StorageException e = download.get(60, TimeUnit.SECONDS);
        assertTrue(e != null, "the download should have failed");
        assertEquals(ErrorCode.TIMEOUT, e.code(), e::getMessage);
    }

    @Test
    void aFrozenTargetTimesOutAtLogin() throws Exception {
        tgtd.pause();
        Future<StorageException> start = worker.submit(() -> {
            try {
                driver();
                return null;
            } catch (StorageException e) {
                return e;
            }
        });
        StorageException e = start.get(60, TimeUnit.SECONDS);
        assertTrue(e != null, "start should have failed");
        assertEquals(ErrorCode.TIMEOUT, e.code(), e::getMessage);
    }
}
