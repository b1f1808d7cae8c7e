package org.libstorage.backends.blockio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.Mount;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.testing.Requirements;

/** The checks every backend runs before writing a device, on real loop devices. */
class DeviceGuardTest {
    @TempDir
    Path dir;

    @Test
    void aMissingDeviceIsNoSuchDevice() {
        StorageException e = assertThrows(StorageException.class,
                () -> DeviceGuard.prepareForBuild(dir.resolve("sdz"), BuildMode.OVERWRITE, "pool 'p'", "pool-build"));
        assertEquals(ErrorCode.NO_SUCH_DEVICE, e.code());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aRegularFileIsNotABlockDevice() throws Exception {
        Path file = Files.write(dir.resolve("image"), new byte[4096]);
        StorageException e = assertThrows(StorageException.class,
                () -> DeviceGuard.prepareForBuild(file, BuildMode.OVERWRITE, "pool 'p'", "pool-build"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals("The path " + file + " is not a block device (it is a regular file).", e.getMessage());
    }

    @Test
    void aDeviceWithAFilesystemIsRefusedWithoutOverwriteAndWipedWithIt() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.xfs"), "mkfs.xfs (Debian xfsprogs)");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("xfs.img", 300 * LoopFixture.MIB);
            LoopFixture.run("mkfs.xfs", "-q", loop.path().toString());
            String uuid = Blkid.instance().probe(loop.path()).uuid().orElseThrow();
            byte[] before = LoopFixture.fingerprint(loop.path());

            StorageException e = assertThrows(StorageException.class,
                    () -> DeviceGuard.prepareForBuild(loop.path(), BuildMode.NO_OVERWRITE, "pool 'p'", "pool-build"));
            assertEquals(ErrorCode.DEVICE_BUSY, e.code());
            assertEquals(loop.path() + " already holds an xfs filesystem (UUID " + uuid
                    + "); build with overwrite to erase it.", e.getMessage());
            assertArrayEquals(before, LoopFixture.fingerprint(loop.path()), "nothing was written");

            List<Blkid.Signature> wiped = DeviceGuard.prepareForBuild(loop.path(), BuildMode.OVERWRITE, "pool 'p'", "pool-build");
            assertEquals("xfs", wiped.getFirst().type());
            assertTrue(Blkid.instance().signatures(loop.path()).isEmpty(), "no signature is left");
        }
    }

    @Test
    void aMountedDeviceIsBusyEvenWithOverwriteAndKeepsItsData() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("ext4.img", 32 * LoopFixture.MIB);
            LoopFixture.run("mkfs.ext4", "-q", loop.path().toString());
            Path target = Files.createDirectory(dir.resolve("mnt"));
            Mount.instance().mount(loop.path(), target, Optional.of("ext4"), List.of());
            List<Blkid.Signature> before = Blkid.instance().signatures(loop.path());

            StorageException e = assertThrows(StorageException.class,
                    () -> DeviceGuard.prepareForBuild(loop.path(), BuildMode.OVERWRITE, "pool 'p'", "pool-build"));
            assertEquals(ErrorCode.DEVICE_BUSY, e.code());
            assertEquals("The device " + loop.path() + " is in use (" + loop.path() + " is mounted on " + target
                    + "); release it before pool-build.", e.getMessage());
            assertEquals(before, Blkid.instance().signatures(loop.path()), "the filesystem is untouched");
        }
    }

    @Test
    void aDeviceAnotherProgramHoldsExclusivelyIsBusy() {
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("claimed.img", 8 * LoopFixture.MIB);
            Libc libc = Libc.instance();
            // O_EXCL on a block device is the kernel's claim, as mkfs and mount take it.
            try (Fd claim = libc.open(loop.path(), Libc.O_RDONLY | Libc.O_EXCL, 0)) {
                StorageException e = assertThrows(StorageException.class,
                        () -> DeviceGuard.prepareForBuild(loop.path(), BuildMode.OVERWRITE, "pool 'p'", "pool-build"));
                assertEquals(ErrorCode.DEVICE_BUSY, e.code());
                assertEquals("The device " + loop.path() + " is in use (another program holds it open exclusively);"
                        + " stop that user first.", e.getMessage());
                assertEquals("EBUSY", ((NativeCallException) e.getCause()).errnoName());
            }
            DeviceGuard.requireUnused(DeviceGuard.requireBlockDevice(loop.path(), "pool 'p'", "pool-build"),
                    "pool 'p'", "pool-build");
        }
    }

    @Test
    void describesEachSignatureTypeOnce() {
        List<Blkid.Signature> gpt = List.of(
                new Blkid.Signature("gpt", "partition table", 512, "4546492050415254", Optional.empty(), Optional.empty()),
                new Blkid.Signature("gpt", "partition table", 1048064, "4546492050415254", Optional.empty(), Optional.empty()),
                new Blkid.Signature("PMBR", "partition table", 510, "55aa", Optional.empty(), Optional.empty()));
        assertEquals("a gpt partition table and a PMBR partition table", DeviceGuard.describe(gpt));
    }
}
