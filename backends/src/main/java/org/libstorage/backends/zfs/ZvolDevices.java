package org.libstorage.backends.zfs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.ZfsCore;

/**
 * Where a zvol's block device is. The kernel module makes {@code /dev/zdN} (asynchronously,
 * shortly after the zvol is created or its pool imported); udev then adds
 * {@code /dev/zvol/POOL/.../VOL}, the name users know. Without udev (a container, an initramfs,
 * the test lab) only {@code /dev/zdN} exists, and nothing in sysfs names its dataset: the
 * device itself is asked, with the {@code BLKZNAME} ioctl, as udev's {@code zvol_id} does.
 */
final class ZvolDevices {
    static final Path LINKS = Path.of("/dev/zvol");
    private static final Pattern WHOLE_ZVOL = Pattern.compile("zd[0-9]+");

    private final Path sysBlock;
    private final Path dev;

    ZvolDevices() {
        this(Path.of("/sys/block"), Path.of("/dev"));
    }

    ZvolDevices(Path sysBlock, Path dev) {
        this.sysBlock = sysBlock;
        this.dev = dev;
    }

    /** The path a zvol has with udev: {@code /dev/zvol/DATASET}. */
    static Path link(String dataset) {
        return LINKS.resolve(dataset);
    }

    /** The zvol's device now: the udev link when it exists, else the {@code /dev/zdN} reporting its name. */
    Optional<Path> find(String dataset) {
        Path link = link(dataset);
        if (Files.exists(link)) {
            return Optional.of(link);
        }
        return Optional.ofNullable(unlinked().get(dataset));
    }

    /** Every zvol device without a udev link, by dataset; empty when udev made the links. */
    Map<String, Path> unlinked() {
        Map<String, Path> found = new LinkedHashMap<>();
        if (Files.isDirectory(LINKS) || !Files.isDirectory(sysBlock)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(sysBlock)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                Path node = dev.resolve(name);
                if (!WHOLE_ZVOL.matcher(name).matches() || !Files.exists(node)) {
                    continue;
                }
                try {
                    ZfsCore.zvolName(node).ifPresent(dataset -> found.put(dataset, node));
                } catch (NativeCallException e) {
                    // going away as we look (destroyed, exported): not a device to report
                }
            }
        } catch (IOException e) {
            return found;
        }
        return found;
    }

    /**
     * The zvol's device, waiting up to {@code timeout} for the kernel to make it (and udev its
     * link, when udev runs).
     *
     * @throws StorageException {@code NO_SUCH_DEVICE} when it does not appear in time
     */
    Path await(String dataset, Duration timeout, String object, String operation) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Path> device = find(dataset);
            if (device.isPresent()) {
                return device.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new StorageException(ErrorCode.NO_SUCH_DEVICE, object, operation, "The block device of zvol "
                        + dataset + " did not appear within " + timeout.toSeconds() + " s (neither " + link(dataset)
                        + " nor a /dev/zdN naming it); check its volmode property (none hides it) and the kernel log.");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException(ErrorCode.CANCELLED, object, operation,
                        "Cancelled while waiting for the block device of zvol " + dataset + ".", e);
            }
        }
    }
}
