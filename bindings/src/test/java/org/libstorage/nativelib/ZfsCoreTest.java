package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.libstorage.testing.Requirements;

/**
 * libzfs_core as far as a host without the zfs kernel module can check it: loading, the
 * failure when the module is missing, error names, the BLKZNAME probe. The calls themselves
 * run in the kernel lab (ZfsCoreKernelTest in the backends module drives every one).
 */
class ZfsCoreTest {
    private final ZfsCore zfs = ZfsCore.instance();

    @Test
    void loadsBothLibrariesByTheirSonames() {
        Requirements.require(zfs.isAvailable(), ZfsCore.SONAME + " (Debian " + ZfsCore.DEBIAN_PACKAGE + "): "
                + zfs.unavailableReason());
        assertEquals(Optional.empty(), zfs.unavailableReason());
    }

    @Test
    void aMissingLibraryIsReportedWithItsPackageAndEveryCallSaysSo() {
        ZfsCore missing = new ZfsCore(NativeLibrary.probe("libzfs_core", "libzfs_core.so.999", ZfsCore.DEBIAN_PACKAGE),
                NativeLibrary.probe("libnvpair", ZfsCore.NVPAIR_SONAME, ZfsCore.NVPAIR_DEBIAN_PACKAGE));
        assertFalse(missing.isAvailable());
        assertTrue(missing.unavailableReason().orElseThrow().contains("libzfs4linux"), missing.unavailableReason().get());
        LibraryUnavailableException e = assertThrows(LibraryUnavailableException.class, () -> missing.exists("tank"));
        assertEquals("libzfs4linux", e.debianPackage());

        ZfsCore noNvpair = new ZfsCore(NativeLibrary.probe("libzfs_core", ZfsCore.SONAME, ZfsCore.DEBIAN_PACKAGE),
                NativeLibrary.probe("libnvpair", "libnvpair.so.999", ZfsCore.NVPAIR_DEBIAN_PACKAGE));
        assertFalse(noNvpair.isAvailable());
        assertTrue(noNvpair.unavailableReason().orElseThrow().contains("libnvpair3linux"), noNvpair.unavailableReason().get());
    }

    @Test
    void withoutTheKernelModuleEveryCallFailsInLibzfsCoreInitNamingDevZfs() {
        Requirements.require(zfs.isAvailable(), ZfsCore.SONAME);
        if (ZfsCore.kernelModuleLoaded()) {
            return; // a kernel with ZFS: the lab's tests cover the calls
        }
        NativeCallException e = assertThrows(NativeCallException.class,
                () -> zfs.create("tank/vol", ZfsCore.DatasetType.VOLUME, Map.of("volsize", 1L << 20)));
        assertEquals("libzfs_core_init", e.function());
        assertEquals("ENOENT", e.errnoName());
        assertTrue(e.getMessage().contains("/dev/zfs") && e.getMessage().contains("kernel module"), e.getMessage());
        // and again: the failed initialisation is retried, not remembered
        assertThrows(NativeCallException.class, () -> zfs.snapshot(List.of("tank/vol@s")));
    }

    @Test
    void errorNamesCoverErrnoAndZfsOwnCodes() {
        Requirements.require(zfs.isAvailable(), ZfsCore.SONAME);
        assertEquals("EEXIST", zfs.errorName(Libc.EEXIST));
        assertEquals("ZFS_ERR_CHECKPOINT_EXISTS", zfs.errorName(1024));
        assertEquals("ZFS_ERR_IOC_CMD_UNAVAIL", zfs.errorName(1029));
    }

    @Test
    void aDeviceThatIsNoZvolHasNoDatasetName() {
        Requirements.require(zfs.isAvailable(), ZfsCore.SONAME);
        assertEquals(Optional.empty(), ZfsCore.zvolName(Path.of("/dev/null")));
    }
}
