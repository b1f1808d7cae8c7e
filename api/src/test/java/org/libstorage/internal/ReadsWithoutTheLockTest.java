package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.internal.StorageTestSupport.dirPool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.Pool;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;

/**
 * Lookups and listings answer from the last listing without the lock other processes share,
 * and without listing the definitions directory, only while nothing changed: what another
 * {@code Storage} (each has its own caches, as another process would) does is seen at once.
 */
class ReadsWithoutTheLockTest {
    @TempDir
    Path dir;
    Storage here;
    Storage elsewhere;
    Path images;

    @BeforeEach
    void open() {
        here = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")));
        elsewhere = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")));
        images = dir.resolve("images");
        Pool pool = here.definePool(dirPool("images", images));
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
    }

    @AfterEach
    void close() {
        here.close();
        elsewhere.close();
    }

    @Test
    void aVolumeAnotherProcessCreatesIsFoundByNamePathAndKey() {
        Pool pool = here.requirePool("images");
        Volume first = pool.createVolume(VolumeDefinition.builder("first.img", 4096).build());
        assertEquals(Optional.of(first), here.volumeByPath(first.path())); // a current listing, answered from it

        Volume second = elsewhere.requirePool("images").createVolume(VolumeDefinition.builder("second.img", 4096).build());

        assertEquals("second.img", pool.volume("second.img").orElseThrow().name());
        assertEquals("second.img", here.volumeByPath(images.resolve("second.img")).orElseThrow().name());
        assertEquals("second.img", here.volumeByKey(second.key()).orElseThrow().name());
        assertEquals(List.of("first.img", "second.img"), pool.volumes().stream().map(Volume::name).toList());

        elsewhere.requirePool("images").requireVolume("first.img").delete();
        assertEquals(Optional.empty(), pool.volume("first.img"));
        assertEquals(Optional.empty(), here.volumeByPath(first.path()));
    }

    @Test
    void aPoolAnotherProcessStopsHasNoVolumesToFind() {
        Volume volume = here.requirePool("images").createVolume(VolumeDefinition.builder("a.img", 4096).build());
        assertTrue(here.volumeByPath(volume.path()).isPresent());

        elsewhere.requirePool("images").stop();

        assertEquals(Optional.empty(), here.volumeByPath(volume.path()));
        assertFalse(here.requirePool("images").isActive());
    }

    @Test
    void aPoolDefinedAfterASettledListingIsListed() throws Exception {
        // A definitions directory last changed long ago: its listing is remembered.
        Path definitions = dir.resolve("config");
        try (var files = Files.walk(definitions)) {
            for (Path d : files.filter(Files::isDirectory).toList()) {
                Files.setLastModifiedTime(d, FileTime.from(Instant.now().minusSeconds(60)));
            }
        }
        assertEquals(List.of("images"), here.pools().stream().map(Pool::name).toList());
        assertEquals(List.of("images"), here.pools().stream().map(Pool::name).toList());

        elsewhere.definePool(dirPool("more", dir.resolve("more")));

        assertEquals(List.of("images", "more"), here.pools().stream().map(Pool::name).toList());
        elsewhere.requirePool("more").undefine();
        assertEquals(List.of("images"), here.pools().stream().map(Pool::name).toList());
    }
}
