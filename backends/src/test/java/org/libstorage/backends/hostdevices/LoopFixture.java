package org.libstorage.backends.hostdevices;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;
import org.libstorage.nativelib.Mount;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;
import org.libstorage.testing.Requirements;

/**
 * Real loop devices for tests (partition scanning on), and their clean-up even when a test
 * fails: whatever is mounted from them or their partitions is unmounted, then they are
 * detached. Under CI=true a machine without root or loop devices fails the test.
 */
public final class LoopFixture implements AutoCloseable {
    public static final long MIB = 1L << 20;

    private final Path dir;
    private final List<LoopDevice> loops = new ArrayList<>();
    private final Libc libc = Libc.instance();

    public LoopFixture(Path dir) {
        this.dir = dir;
        Requirements.requireLoopDevices();
    }

    /** A sparse image file of {@code size} bytes attached to a fresh loop device. */
    public LoopDevice attach(String imageName, long size) {
        Path image = dir.resolve(imageName);
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            libc.ftruncate(fd, size);
        }
        LoopDevice loop = LoopDevices.attach(image, false);
        loops.add(loop);
        return loop;
    }

    /** The first {@code length} bytes and last MiB of a device, to show nothing was written. */
    public static byte[] fingerprint(Path device) throws IOException {
        try (var channel = java.nio.channels.FileChannel.open(device)) {
            long size = channel.size();
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate((int) Math.min(size, 2 * MIB));
            channel.read(head, 0);
            java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate((int) Math.min(size, MIB));
            channel.read(tail, Math.max(0, size - MIB));
            byte[] all = new byte[head.position() + tail.position()];
            System.arraycopy(head.array(), 0, all, 0, head.position());
            System.arraycopy(tail.array(), 0, all, head.position(), tail.position());
            return all;
        }
    }

    /** Runs a set-up command (tests only; the code under test spawns none), returning its output. */
    public static String run(String... argv) throws IOException, InterruptedException {
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

    @Override
    public void close() {
        Mount mount = Mount.instance();
        for (LoopDevice loop : loops) {
            String name = loop.path().getFileName().toString();
            List<Long> devices = new ArrayList<>();
            devices.add(deviceNumber(Path.of("/sys/block", name)));
            try (var children = Files.list(Path.of("/sys/block", name))) {
                children.filter(c -> Files.exists(c.resolve("partition"))).forEach(c -> devices.add(deviceNumber(c)));
            } catch (IOException e) {
                // no sysfs entry: nothing to unmount
            }
            // Innermost mounts first, so nested mounts come down in order.
            mount.mountTable().stream().filter(e -> devices.contains(e.device()))
                    .sorted(Comparator.comparingInt((Mount.MountEntry e) -> e.target().getNameCount()).reversed())
                    .forEach(e -> {
                        try {
                            mount.unmount(e.target());
                        } catch (NativeCallException ignored) {
                            // already gone
                        }
                    });
            loop.close();
        }
        loops.clear();
    }

    private static long deviceNumber(Path sysfs) {
        try {
            String[] parts = Files.readString(sysfs.resolve("dev")).strip().split(":");
            return Stat.makedev(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
