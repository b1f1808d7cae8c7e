package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.backends.dir.Pools.fails;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Permissions;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolState;
import org.libstorage.PoolTarget;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.Statvfs;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;

/** The dir pool's life cycle and refresh, through the SPI as the core drives it. */
class DirPoolDriverTest {
    @TempDir
    Path temp;

    @Test
    void theBackendIsFoundByServiceLoaderForDirPools() {
        List<PoolType> types = ServiceLoader.load(PoolBackend.class).stream().map(p -> p.get().type()).toList();
        assertTrue(types.contains(PoolType.DIR), () -> "found " + types);
        assertTrue(new DirBackend().status().available());
    }

    @Test
    void everyBackendDeclaresTheTypeItServesSoTheCoreCanMakeItLazily() {
        List<ServiceLoader.Provider<PoolBackend>> providers = ServiceLoader.load(PoolBackend.class).stream().toList();
        assertTrue(providers.size() >= 6, () -> "found " + providers.size());
        for (ServiceLoader.Provider<PoolBackend> provider : providers) {
            PoolBackend.Serves serves = provider.type().getAnnotation(PoolBackend.Serves.class);
            assertTrue(serves != null, () -> provider.type() + " has no @PoolBackend.Serves");
            assertEquals(serves.value(), provider.get().type(), provider.type().getName());
        }
    }

    @Test
    void validationWantsAnAbsoluteTargetAndNormalisesIt() {
        DirBackend backend = new DirBackend();
        fails(ErrorCode.INVALID_DEFINITION, () -> backend.validate(PoolDefinition.builder(PoolType.DIR, "p").build()));
        fails(ErrorCode.INVALID_DEFINITION, () -> backend.validate(Pools.definition("p", Path.of("relative/dir"))));
        assertEquals(Optional.of(Path.of("/srv/images")),
                backend.validate(Pools.definition("p", Path.of("/srv/x/../images"))).targetPath());
    }

    @Test
    void buildMakesTheDirectoryWithItsParentsAndTheAskedModeWhateverTheUmask() throws Exception {
        Path target = temp.resolve("a/b/images");
        PoolDefinition definition = PoolDefinition.builder(PoolType.DIR, "images")
                .target(new PoolTarget(Optional.of(target), Optional.of(Permissions.ofMode(0750)))).build();
        PoolDriver driver = new DirBackend().open(definition, new BackendContext(temp.resolve("state"), null));
        assertFalse(driver.isActive());

        driver.build(BuildMode.NO_OVERWRITE);

        assertTrue(Files.isDirectory(target));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        driver.start();
        assertTrue(driver.isActive());
    }

    @Test
    void buildWithoutAModeUsesLibvirtsDefault0711() throws Exception {
        Path target = temp.resolve("images");
        Pools.open("images", target).build(BuildMode.NO_OVERWRITE);
        assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void buildAdoptsAnEmptyDirectoryButAFullOneOnlyWithOverwriteAndKeepsItsFiles() throws Exception {
        Path target = Files.createDirectory(temp.resolve("images"));
        PoolDriver driver = Pools.open("images", target);
        driver.build(BuildMode.NO_OVERWRITE); // empty: fine

        Files.write(target.resolve("disk.img"), new byte[1024]);
        var e = fails(ErrorCode.DEVICE_BUSY, () -> driver.build(BuildMode.NO_OVERWRITE));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());

        driver.build(BuildMode.OVERWRITE);
        assertTrue(Files.exists(target.resolve("disk.img")), "overwrite adopts files, it never erases them");
    }

    @Test
    void buildRefusesATargetThatIsAFile() throws Exception {
        Path target = Files.createFile(temp.resolve("images"));
        fails(ErrorCode.INVALID_DEFINITION, () -> Pools.open("images", target).build(BuildMode.OVERWRITE));
    }

    @Test
    void startNeedsTheDirectory() throws Exception {
        Path target = temp.resolve("images");
        var missing = fails(ErrorCode.NO_SUCH_DEVICE, () -> Pools.open("images", target).start());
        assertTrue(missing.getMessage().contains("build the pool first"), missing.getMessage());
        Files.createFile(target);
        fails(ErrorCode.INVALID_DEFINITION, () -> Pools.open("images", target).start());
    }

    @Test
    void deleteRemovesAnEmptyDirectoryAndRefusesOneWithVolumes() throws Exception {
        Path target = temp.resolve("images");
        PoolDriver driver = Pools.started("images", target);
        driver.createVolume(Pools.raw("disk", Pools.MIB));
        driver.stop();

        var busy = fails(ErrorCode.DEVICE_BUSY, driver::delete);
        assertTrue(busy.getMessage().contains("delete its volumes first"), busy.getMessage());

        Files.delete(target.resolve("disk"));
        driver.delete();
        assertFalse(Files.exists(target));
        assertFalse(driver.isActive());
        fails(ErrorCode.NO_SUCH_DEVICE, driver::delete);
    }

    @Test
    void refreshReportsTheFilesystemSpaceAndEveryKindOfEntry() throws Exception {
        Path target = temp.resolve("images");
        PoolDriver driver = Pools.started("images", target);
        Files.write(target.resolve("small.img"), new byte[100]);
        Files.createDirectory(target.resolve("subdir"));
        Files.createSymbolicLink(target.resolve("link"), Path.of("/etc/hostname"));
        driver.createVolume(Pools.raw("sparse", 10 * Pools.MIB));

        PoolContents contents = driver.refresh();

        Statvfs fs = Libc.instance().statvfs(target);
        assertEquals(PoolState.RUNNING, contents.info().state());
        assertEquals(fs.totalBytes(), contents.info().capacity());
        assertTrue(contents.info().available() > 0 && contents.info().available() <= fs.totalBytes());
        assertEquals(List.of("small.img", "sparse", "subdir"), contents.volumes().stream().map(VolumeDefinition::name).toList(),
                "symlinks are not volumes: they are never followed out of the pool");
        VolumeDefinition sparse = contents.volumes().get(1);
        Path real = target.toRealPath();
        assertEquals(Optional.of(real.resolve("sparse").toString()), sparse.key());
        assertEquals(Optional.of(real.resolve("sparse")), sparse.path());
        assertEquals(10 * Pools.MIB, sparse.capacity());
        assertEquals(0, sparse.allocation().getAsLong());
        assertEquals(Optional.of(VolumeFormat.RAW), sparse.format());
        assertEquals(Optional.of(VolumeType.FILE), sparse.type());
        assertEquals(0600, sparse.target().permissions().orElseThrow().mode().getAsInt());
        assertTrue(sparse.target().timestamps().orElseThrow().mtime().isPresent());
        VolumeDefinition subdir = contents.volumes().get(2);
        assertEquals(Optional.of(VolumeType.DIR), subdir.type());
        assertEquals(Optional.of(VolumeFormat.DIR), subdir.format());
    }

    @Test
    void filesWhoseNamesCannotBeVolumeNamesAreLeftOutNotFatal() throws Exception {
        Path target = temp.resolve("images");
        PoolDriver driver = Pools.started("images", target);
        Files.write(target.resolve("-looks-like-an-option"), new byte[10]);
        Files.write(target.resolve("line\nbreak"), new byte[10]);
        Files.write(target.resolve("fine.img"), new byte[10]);

        assertEquals(List.of("fine.img"), driver.refresh().volumes().stream().map(VolumeDefinition::name).toList());
    }

    @Test
    void aForgedHeaderWithAStrangeBackingNameDoesNotBreakTheRefresh() throws Exception {
        Path target = temp.resolve("images");
        PoolDriver driver = Pools.started("images", target);
        java.nio.ByteBuffer header = ImageHeaderTest.qcow2(1 << 20, "\u00e9\u00ff\ufffd-base", "qcow2", 512);
        Files.write(target.resolve("forged"), header.array());

        List<VolumeDefinition> volumes = driver.refresh().volumes();

        assertEquals(List.of("forged"), volumes.stream().map(VolumeDefinition::name).toList());
        assertEquals(Optional.of(VolumeFormat.QCOW2), volumes.getFirst().format());
    }

    @Test
    void aTargetReachedThroughASymlinkIsRefusedNamingTheRealDirectory() throws Exception {
        // A retargeted link would move the pool, so the pool must be defined with the real path.
        Path real = Files.createDirectory(temp.resolve("real"));
        Path alias = Files.createSymbolicLink(temp.resolve("alias"), real);

        StorageException refused = assertThrows(StorageException.class, () -> Pools.started("images", alias));

        assertEquals(ErrorCode.INVALID_DEFINITION, refused.code());
        assertTrue(refused.getMessage().contains(real.toRealPath().toString()), refused.getMessage());
        try (var entries = Files.list(real)) {
            assertEquals(List.of(), entries.toList(), "nothing was made behind the link");
        }
    }
}
