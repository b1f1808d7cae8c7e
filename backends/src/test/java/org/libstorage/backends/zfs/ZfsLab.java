package org.libstorage.backends.zfs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.testing.Requirements;

/**
 * Scratch ZFS for the kernel tests: sparse images on loop devices under a test's directory, a
 * pool name nobody else uses, and, whatever happens, every pool made on those devices
 * destroyed and the devices detached afterwards.
 */
final class ZfsLab implements AutoCloseable {
    static final long MIB = 1L << 20;

    private final LoopFixture loops;
    private final List<String> pools = new ArrayList<>();

    ZfsLab(Path dir) {
        Requirements.requireRoot("ZFS pools on loop devices");
        Requirements.requireCommand("zpool", "zfsutils-linux");
        loops = new LoopFixture(dir);
    }

    /** A fresh pool name, destroyed on close if it exists then. */
    String poolName() {
        String name = "lszfs" + UUID.randomUUID().toString().substring(0, 8);
        pools.add(name);
        return name;
    }

    LoopDevice device(String image, long size) {
        return loops.attach(image, size);
    }

    /** Makes pool {@code name} on a new device of {@code size} bytes with zpool (for tests that need one ready). */
    String pool(long size) throws IOException, InterruptedException {
        String name = poolName();
        LoopDevice device = device(name + ".img", size);
        run("zpool", "create", "-m", "none", name, device.path().toString());
        return name;
    }

    /** zpool export, retried while udev still reads a zvol the test just made ("pool is busy"). */
    static void export(String pool) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                run("zpool", "export", pool);
                return;
            } catch (IOException e) {
                if (attempt >= 100 || !e.getMessage().contains("busy")) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    static String run(String... argv) throws IOException, InterruptedException {
        return LoopFixture.run(argv);
    }

    @Override
    public void close() {
        for (String pool : pools) {
            // Imported or not: import it (quietly failing when it was never made) so it can be destroyed.
            quietly("zpool", "destroy", "-f", pool);
        }
        loops.close();
    }

    private static void quietly(String... argv) {
        try {
            new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor();
        } catch (IOException e) {
            // nothing to clean up
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
