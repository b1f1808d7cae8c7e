package org.libstorage.backends.dir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;
import org.libstorage.testing.Requirements;

/**
 * What integration tests need from the machine (root, mounts, qemu-img, mkfs.xfs), and
 * mounts that always come down again; the needs are checked through {@link Requirements}.
 */
final class Machine {
    private Machine() {
    }

    static void requireRoot() {
        Requirements.requireRoot("to mount filesystems");
    }

    static void requireQemuImg() {
        Requirements.requireCommand("qemu-img", "qemu-utils");
    }

    /** Runs a set-up command (tests only), returning its output. */
    static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    static void runQuietly(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            // clean-up: best effort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A mounted filesystem that is unmounted (and its loop device detached) on close. */
    static final class Mount implements AutoCloseable {
        private final Path point;
        private final LoopDevice loop;

        private Mount(Path point, LoopDevice loop) {
            this.point = point;
            this.loop = loop;
        }

        Path point() {
            return point;
        }

        /** A tmpfs of {@code size} (such as {@code 16m}) at {@code point}. */
        static Mount tmpfs(Path point, String size) throws IOException, InterruptedException {
            requireRoot();
            Files.createDirectories(point);
            run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", point.toString());
            return new Mount(point, null);
        }

        /** An XFS with reflinks of {@code bytes}, made in {@code image} and loop-mounted at {@code point}. */
        static Mount xfsWithReflink(Path image, Path point, long bytes) throws IOException, InterruptedException {
            requireRoot();
            Requirements.requireLoopDevices();
            Requirements.requireCommand("mkfs.xfs", "xfsprogs");
            try (Fd fd = Libc.instance().open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
                Libc.instance().ftruncate(fd, bytes);
            }
            run("mkfs.xfs", "-q", "-m", "reflink=1", image.toString());
            Files.createDirectories(point);
            LoopDevice loop = LoopDevices.attach(image, false);
            try {
                run("mount", "-t", "xfs", loop.path().toString(), point.toString());
            } catch (IOException | RuntimeException e) {
                loop.close();
                throw e;
            }
            return new Mount(point, loop);
        }

        @Override
        public void close() {
            runQuietly("umount", point.toString());
            if (loop != null) {
                loop.close();
            }
        }
    }
}
