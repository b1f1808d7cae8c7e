package org.libstorage.backends.logical;

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
import org.libstorage.testing.Requirements;

/**
 * Real PVs for a test: image files on loop devices, and an LVM configuration that sees only
 * those devices (a global filter accepting exactly them), keeps its locks and metadata backups
 * in the test's directory and, unless made {@link #withActivation}, never activates anything. Closing removes every VG and PV on the
 * devices and detaches them, whatever state the test left.
 */
final class LvmSandbox implements AutoCloseable {
    static final long DEVICE_SIZE = 64L << 20;

    private final Path dir;
    private final List<LoopDevice> loops;
    private final LvmSettings settings;

    private LvmSandbox(Path dir, List<LoopDevice> loops, LvmSettings settings) {
        this.dir = dir;
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
        Requirements.requireNone(missing);
    }

    static LvmSandbox create(Path dir, int deviceCount) {
        return create(dir, deviceCount, false);
    }

    /**
     * A sandbox whose LVM activates devices: for tests that run where the kernel has
     * device-mapper ({@code @RequiresKernel(DEVICE_MAPPER)}, the QEMU lab on this host).
     */
    static LvmSandbox withActivation(Path dir, int deviceCount) {
        return create(dir, deviceCount, true);
    }

    private static LvmSandbox create(Path dir, int deviceCount, boolean activation) {
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
        return new LvmSandbox(dir, loops, new LvmSettings(activation, config));
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

    /**
     * Writes a thin pool of {@code dataExtents} extents into {@code vg}, with a thin volume of
     * {@code thinExtents} extents for each name in {@code thinVolumes}. Without device-mapper LVM
     * cannot make a thin pool (lvcreate and lvconvert ask the kernel's thin-pool target first),
     * but it reads, lists, resizes and removes one as metadata, so the test writes the metadata
     * itself: two linear LVs become the pool's hidden data and metadata LVs, and vgcfgrestore
     * (with --force, as LVM asks for groups with thin volumes) puts the result in place.
     */
    void addThinPool(String vg, String thinPool, int dataExtents, int thinExtents, List<String> thinVolumes) {
        Path backup = dir.resolve(vg + "-thin.vg");
        lvmCommand("lvcreate", "-an", "-Zn", "-y", "-l", "1", "-n", "lsmeta", vg);
        lvmCommand("lvcreate", "-an", "-Zn", "-y", "-l", String.valueOf(dataExtents), "-n", "lsdata", vg);
        lvmCommand("vgcfgbackup", "-f", backup.toString(), vg);
        try {
            String text = Files.readString(backup);
            text = hidden(text, "lsmeta", thinPool + "_tmeta");
            text = hidden(text, "lsdata", thinPool + "_tdata");
            StringBuilder added = new StringBuilder();
            added.append("\t\t").append(thinPool).append(" {\n").append("""
                        id = "%s"
                        status = ["READ", "WRITE", "VISIBLE"]
                        flags = []
                        segment_count = 1
                        segment1 {
                            start_extent = 0
                            extent_count = %d
                            type = "thin-pool"
                            metadata = "%s_tmeta"
                            pool = "%s_tdata"
                            transaction_id = %d
                            chunk_size = 128
                            discards = "passdown"
                            zero_new_blocks = 1
                        }
                    }
                    """.formatted(lvmUuid(), dataExtents, thinPool, thinPool, thinVolumes.size()));
            for (int i = 0; i < thinVolumes.size(); i++) {
                added.append("\t\t").append(thinVolumes.get(i)).append(" {\n").append("""
                            id = "%s"
                            status = ["READ", "WRITE", "VISIBLE"]
                            flags = []
                            segment_count = 1
                            segment1 {
                                start_extent = 0
                                extent_count = %d
                                type = "thin"
                                thin_pool = "%s"
                                transaction_id = %d
                                device_id = %d
                            }
                        }
                        """.formatted(lvmUuid(), thinExtents, thinPool, i, i + 1));
            }
            String section = "\tlogical_volumes {\n";
            int at = text.indexOf(section) + section.length();
            Files.writeString(backup, text.substring(0, at) + added + text.substring(at));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lvmCommand("vgcfgrestore", "--force", "-f", backup.toString(), vg);
    }

    /**
     * Writes a classic (copy-on-write) snapshot of {@code origin} named {@code snapshot}, with
     * {@code extents} extents for its changes, into {@code vg}'s metadata; LVM cannot make one
     * without device-mapper. The snapshot's exception store is a linear LV that a hidden
     * {@code snapshotN} LV ties to its origin, as LVM writes it.
     */
    void addSnapshot(String vg, String origin, String snapshot, int extents) {
        Path backup = dir.resolve(vg + "-snapshot.vg");
        lvmCommand("lvcreate", "-an", "-Zn", "-y", "-l", String.valueOf(extents), "-n", snapshot, vg);
        lvmCommand("vgcfgbackup", "-f", backup.toString(), vg);
        try {
            String text = Files.readString(backup);
            int start = text.indexOf("\t\t" + snapshot + " {");
            String visible = "status = [\"READ\", \"WRITE\", \"VISIBLE\"]";
            int status = text.indexOf(visible, start);
            // The exception store is shown through the hidden snapshot LV, so it is not visible itself.
            text = text.substring(0, status) + "status = [\"READ\", \"WRITE\"]" + text.substring(status + visible.length());
            int existing = text.split("type = \"snapshot\"", -1).length - 1;
            String tie = "\t\tsnapshot" + existing + " {\n" + """
                        id = "%s"
                        status = ["READ"]
                        flags = []
                        segment_count = 1
                        segment1 {
                            start_extent = 0
                            extent_count = %d
                            type = "snapshot"
                            chunk_size = 8
                            origin = "%s"
                            cow_store = "%s"
                        }
                    }
                    """.formatted(lvmUuid(), extents, origin, snapshot);
            String section = "\tlogical_volumes {\n";
            int at = text.indexOf(section) + section.length();
            Files.writeString(backup, text.substring(0, at) + tie + text.substring(at));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lvmCommand("vgcfgrestore", "--force", "-f", backup.toString(), vg);
    }

    /** Renames an LV in a metadata backup and hides it, as LVM's own sub-LVs are. */
    private static String hidden(String text, String name, String newName) {
        int start = text.indexOf("\t\t" + name + " {");
        String visible = "status = [\"READ\", \"WRITE\", \"VISIBLE\"]";
        int status = text.indexOf(visible, start);
        return text.substring(0, start) + "\t\t" + newName + " {" + text.substring(start + name.length() + 4, status)
                + "status = [\"READ\", \"WRITE\"]" + text.substring(status + visible.length());
    }

    /** A random id in LVM's 6-4-4-4-4-4-6 form. */
    private static String lvmUuid() {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        java.util.Random random = new java.util.Random();
        StringBuilder id = new StringBuilder();
        for (int group : new int[] {6, 4, 4, 4, 4, 4, 6}) {
            if (!id.isEmpty()) {
                id.append('-');
            }
            for (int i = 0; i < group; i++) {
                id.append(chars.charAt(random.nextInt(chars.length())));
            }
        }
        return id.toString();
    }

    /**
     * The lvm binary with this sandbox's configuration, for set-up steps that take no report
     * format (vgcfgrestore refuses --reportformat, which every {@link Lvm} command carries).
     */
    private void lvmCommand(String... args) {
        List<String> argv = new ArrayList<>(List.of("lvm", args[0], "--config", settings.configString()));
        argv.addAll(List.of(args).subList(1, args.length));
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().put("LVM_SUPPRESS_FD_WARNINGS", "1");
        builder.environment().put("LC_ALL", "C");
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes());
            if (process.waitFor() != 0) {
                throw new IllegalStateException(argv + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            Lvm lvm = commandLvm();
            for (Path device : devices()) {
                Lvm.Outcome pv = lvm.run(Lvm.Effect.METADATA, "pvs", List.of("-o", "vg_name", device.toString()));
                pv.report().section("pv").stream().map(r -> r.text("vg_name")).filter(v -> !v.isEmpty()).distinct()
                        .forEach(vg -> lvm.run(Lvm.Effect.DEVICES, "vgremove", List.of("-ff", vg)));
                lvm.run(Lvm.Effect.METADATA, "pvremove", List.of("-ff", "-y", device.toString()));
            }
        } finally {
            loops.forEach(LoopDevice::close);
        }
    }
}
