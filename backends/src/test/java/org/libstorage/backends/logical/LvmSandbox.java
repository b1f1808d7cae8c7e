package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.libstorage.fallback.LvmCommand;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;
import org.libstorage.nativelib.Lvm2cmd;

/**
 * Real PVs for a test: image files on loop devices, and an LVM configuration that sees only
 * those devices (a global filter accepting exactly them), keeps its locks and metadata backups
 * in the test's directory and never activates anything. Closing removes every VG and PV on the
 * devices and detaches them, whatever state the test left.
 */
final class LvmSandbox implements AutoCloseable {
    static final long DEVICE_SIZE = 64L << 20;

    private final List<LoopDevice> loops;
    private final LvmSettings settings;

    private LvmSandbox(List<LoopDevice> loops, LvmSettings settings) {
        this.loops = loops;
        this.settings = settings;
    }

    /** Which engine runs the metadata commands. */
    enum Engine {
        IN_PROCESS, COMMAND
    }

    /** Fails under CI=true, skips with a reason otherwise, when the host lacks what LVM tests need. */
    static void requireLvmHost(Engine engine) {
        List<String> missing = new ArrayList<>();
        if (!Files.isWritable(Path.of("/dev/loop-control"))) {
            missing.add("loop devices (root and /dev/loop-control)");
        }
        if (!LvmCommand.create(Duration.ofSeconds(30)).available()) {
            missing.add("the lvm command (Debian package lvm2)");
        }
        if (engine == Engine.IN_PROCESS && Lvm2cmd.unavailableReason().isPresent()) {
            missing.add(Lvm2cmd.unavailableReason().get());
        }
        if (!missing.isEmpty()) {
            String message = "LVM integration tests need " + String.join(", ", missing);
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(message);
            }
            assumeTrue(false, message);
        }
    }

    static LvmSandbox create(Path dir, int deviceCount) {
        List<LoopDevice> loops = new ArrayList<>();
        try {
            for (int i = 0; i < deviceCount; i++) {
                Path image = dir.resolve("pv" + i + ".img");
                try (var file = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    file.truncate(0);
                    file.position(DEVICE_SIZE - 1);
                    file.write(java.nio.ByteBuffer.wrap(new byte[1]));
                }
                loops.add(LoopDevices.attach(image, false));
            }
            Files.createDirectories(dir.resolve("lock"));
        } catch (IOException e) {
            loops.forEach(LoopDevice::close);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            loops.forEach(LoopDevice::close);
            throw e;
        }
        String accept = loops.stream().map(l -> "\"a|^" + l.path() + "$|\"").collect(Collectors.joining(","));
        String config = "devices{global_filter=[" + accept + ",\"r|.*|\"] use_devicesfile=0"
                + " obtain_device_list_from_udev=0}"
                + " global{locking_dir=\"" + dir.resolve("lock") + "\"}"
                + " backup{backup_dir=\"" + dir.resolve("backup") + "\" archive_dir=\"" + dir.resolve("archive") + "\"}";
        return new LvmSandbox(loops, new LvmSettings(false, config));
    }

    List<Path> devices() {
        return loops.stream().map(LoopDevice::path).toList();
    }

    Path device(int i) {
        return loops.get(i).path();
    }

    LvmSettings settings() {
        return settings;
    }

    Lvm lvm(Engine engine) {
        return LogicalBackend.defaultLvm(settings, engine == Engine.IN_PROCESS);
    }

    /** The lvm command over this sandbox's configuration, for setting up and checking from outside. */
    Lvm commandLvm() {
        return LogicalBackend.defaultLvm(settings, false);
    }

    @Override
    public void close() {
        try {
            Lvm lvm = commandLvm();
            for (Path device : devices()) {
                Lvm.Outcome pv = lvm.run(Lvm.Effect.METADATA, "pvs", List.of("-o", "vg_name", device.toString()));
                pv.report().section("pv").stream().map(r -> r.text("vg_name")).filter(v -> !v.isEmpty()).distinct()
                        .forEach(vg -> lvm.run(Lvm.Effect.METADATA, "vgremove", List.of("-f", vg)));
                lvm.run(Lvm.Effect.METADATA, "pvremove", List.of("-ff", "-y", device.toString()));
            }
        } finally {
            loops.forEach(LoopDevice::close);
        }
    }
}
