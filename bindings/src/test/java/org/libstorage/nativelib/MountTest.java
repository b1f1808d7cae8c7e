package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.testing.Requirements;

/** libmount: the mount table, and mounting a real loop device (root; required under CI=true). */
class MountTest {
    private static final long MIB = 1L << 20;
    private final Mount mount = Mount.instance();
    private final Libc libc = Libc.instance();

    @TempDir
    Path dir;

    @Test
    void theMountTableHasTheRootFilesystem() {
        assertTrue(mount.isAvailable(), mount.unavailableReason().orElse(""));
        List<Mount.MountEntry> table = mount.mountTable();
        assertTrue(table.stream().anyMatch(e -> e.target().equals(Path.of("/"))), "/ is mounted: " + table);
        assertTrue(table.stream().anyMatch(e -> e.target().equals(Path.of("/proc")) && e.fsType().equals("proc")));
    }

    @Test
    void mountsAndUnmountsAnExt4LoopDeviceWithOptions() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        Path image = dir.resolve("fs.img");
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, 16 * MIB);
        }
        Integration.run("mkfs.ext4", "-q", image.toString());
        Path target = Files.createDirectory(dir.resolve("mnt"));
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            mount.mount(loop.path(), target, Optional.empty(), List.of("noatime", "nodev"));
            try {
                Mount.MountEntry entry = mount.mountTable().stream().filter(e -> e.target().equals(target))
                        .findFirst().orElseThrow();
                assertEquals("ext4", entry.fsType(), "libmount probed the type");
                assertEquals(Optional.of(loop.path()), entry.sourcePath());
                assertTrue(entry.options().contains("noatime") && entry.options().contains("nodev"), entry.options());
            } finally {
                mount.unmount(target);
            }
            assertFalse(mount.mountTable().stream().anyMatch(e -> e.target().equals(target)));
        }
    }

    @Test
    void mountingTheWrongTypeReportsTheSyscallErrnoAndLibmountsMessage() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Path image = dir.resolve("blank.img");
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, 8 * MIB);
        }
        Path target = Files.createDirectory(dir.resolve("mnt"));
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            NativeCallException e = assertThrows(NativeCallException.class,
                    () -> mount.mount(loop.path(), target, Optional.of("ext4"), List.of()));
            assertEquals("mnt_context_mount", e.function());
            assertEquals("EINVAL", e.errnoName(), e.getMessage());
            assertTrue(e.getMessage().contains(loop.path().toString()), e.getMessage());
        }
    }

    @Test
    void unmountingWhatIsNotMountedFails() {
        NativeCallException e = assertThrows(NativeCallException.class, () -> mount.unmount(dir));
        assertEquals("mnt_context_umount", e.function());
    }
}
