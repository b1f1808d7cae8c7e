package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.testing.Requirements;

/** Integration: FICLONE on a real XFS with reflink, on a loop device (root; required under CI=true). */
class ReflinkTest {
    private static final long MIB = 1L << 20;
    private final Libc libc = Libc.instance();

    @TempDir
    Path dir;

    @Test
    void ficloneOnXfsWithReflinkSharesTheData() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to mount an XFS image");
        Requirements.require(Requirements.hasCommand("mkfs.xfs"), "mkfs.xfs (Debian xfsprogs)");
        Path image = dir.resolve("xfs.img");
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, 320 * MIB);
        }
        Integration.run("mkfs.xfs", "-q", "-m", "reflink=1", image.toString());
        Path mountPoint = Files.createDirectory(dir.resolve("mnt"));

        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            Integration.run("mount", "-t", "xfs", loop.path().toString(), mountPoint.toString());
            try {
                byte[] data = new byte[(int) (3 * MIB)];
                new Random(7).nextBytes(data);
                try (Fd src = libc.open(mountPoint.resolve("src"), Libc.O_RDWR | Libc.O_CREAT, 0600);
                     Fd dest = libc.open(mountPoint.resolve("dest"), Libc.O_RDWR | Libc.O_CREAT, 0600)) {
                    libc.pwrite(src, ByteBuffer.wrap(data), 0);
                    libc.fsync(src);
                    long freeBefore = libc.statvfs(mountPoint).freeBytes();

                    libc.ficlone(dest, src);

                    assertEquals(data.length, libc.statx(dest).size());
                    ByteBuffer back = ByteBuffer.allocate(data.length);
                    libc.pread(dest, back, 0);
                    assertArrayEquals(data, back.array());
                    libc.fsync(dest);
                    long used = freeBefore - libc.statvfs(mountPoint).freeBytes();
                    assertEquals(true, used < MIB, "a clone shares extents instead of copying 3 MiB; used " + used);
                }
            } finally {
                Integration.runQuietly("umount", mountPoint.toString());
            }
        }
    }
}
