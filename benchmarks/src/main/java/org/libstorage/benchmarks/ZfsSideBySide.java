package org.libstorage.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.testing.StorageOnlyLibvirtd;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;

/**
 * ZFS side by side, in one ZFS pool on a loop device: create N sparse zvols, clone one N times,
 * and refresh the listing of the 2N, by libstorage (libzfs_core; refresh by channel program and
 * by {@code zfs list}), by the {@code zfs} command (one process per operation, as a script or
 * libvirt runs them) and by libvirt's zfs backend (a private libvirtd with only its storage
 * driver, one {@code virsh} connection per phase, so virsh's start-up is paid once per phase).
 * Each makes its zvols in its own dataset; libvirt's refresh is of libstorage's dataset (its
 * zfs backend cannot clone), which also checks that libvirt sees the 2N zvols libstorage made.
 *
 * <p>Root, a kernel with ZFS, libvirt-daemon-driver-storage-zfs: {@code bin/lab bench zfs}
 * runs it in the kernel lab.
 *
 * <pre>
 * java -cp benchmarks.jar org.libstorage.benchmarks.ZfsSideBySide [--count N] [--refreshes R] [--dir DIR]
 * </pre>
 */
public final class ZfsSideBySide {
    private ZfsSideBySide() {
    }

    /** One operation's time in each tool, in nanoseconds per operation; -1 when the tool cannot do it. */
    private record Row(String operation, long libstorage, long commands, long libvirt) {
    }

    public static void main(String[] args) throws Exception {
        int count = 100;
        int refreshes = 10;
        Path dir = Path.of("/var/tmp");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--count" -> count = Integer.parseInt(args[++i]);
                case "--refreshes" -> refreshes = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        String pool = "lsbench" + UUID.randomUUID().toString().substring(0, 6);
        Path work = Files.createTempDirectory(dir, pool);
        Path image = work.resolve("vdev.img");
        // A sparse 1 GiB image. (FileChannel.truncate only ever shrinks: a new file stayed empty,
        // the loop device had size 0, and zpool create failed with "internal error: out of memory".)
        try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(1L << 30);
        }
        Map<String, long[]> commands;
        Map<String, long[]> libstorage;
        Map<String, long[]> libvirt;
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            run("zpool", "create", "-m", "none", pool, loop.path().toString());
            try {
                for (String dataset : List.of("cli", "ls", "lv")) {
                    run("zfs", "create", "-o", "mountpoint=none", pool + "/" + dataset);
                }
                // Progress on stderr: under TCG the whole run takes many minutes.
                System.err.println("zfs commands...");
                commands = commands(pool + "/cli", count, refreshes);
                System.err.println("libstorage... (zfs commands: " + commands.get("create")[0] / 1_000_000 + " ms a create)");
                libstorage = libstorage(pool + "/ls", work.resolve("storage"), count, refreshes);
                System.err.println("libvirt...");
                try (StorageOnlyLibvirtd daemon = StorageOnlyLibvirtd.start(Files.createDirectories(work.resolve("lv")))) {
                    libvirt = libvirt(daemon, pool, count, refreshes);
                }
            } finally {
                quietly("zpool", "destroy", "-f", pool);
            }
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        List<Row> rows = List.of(
                row("create a sparse zvol (" + count + ")", "create", libstorage, commands, libvirt),
                row("clone a zvol (" + count + ")", "clone", libstorage, commands, libvirt),
                row("refresh " + (2 * count) + " zvols (mean of " + refreshes + ")", "refresh", libstorage, commands,
                        libvirt),
                new Row("  libstorage through `zfs list` instead", libstorage.get("refresh-command")[0], -1, -1));
        System.out.println();
        System.out.println("ZFS side by side (" + count + " zvols, " + count + " clones), ms per operation:");
        System.out.printf(Locale.ROOT, "| %-42s | %10s | %12s | %10s | %9s | %9s |%n", "operation", "libstorage",
                "zfs commands", "libvirt", "zfs / ls", "virt / ls");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %-42s | %10s | %12s | %10s | %9s | %9s |%n", r.operation(),
                    ms(r.libstorage()), ms(r.commands()), ms(r.libvirt()), ratio(r.commands(), r.libstorage()),
                    ratio(r.libvirt(), r.libstorage()));
        }
    }

    private static Row row(String label, String key, Map<String, long[]> ls, Map<String, long[]> cli,
            Map<String, long[]> lv) {
        return new Row(label, ls.get(key)[0], cli.get(key)[0], lv.get(key)[0]);
    }

    private static String ms(long nanos) {
        return nanos < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    private static String ratio(long other, long mine) {
        return other < 0 || mine <= 0 ? "" : String.format(Locale.ROOT, "%.1f×", (double) other / mine);
    }

    private static Map<String, long[]> commands(String dataset, int count, int refreshes) throws Exception {
        Map<String, long[]> out = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            run("zfs", "create", "-s", "-V", "64M", dataset + "/v" + i);
        }
        out.put("create", new long[] {(System.nanoTime() - t0) / count});
        t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            run("zfs", "snapshot", dataset + "/v0@c" + i);
            run("zfs", "clone", dataset + "/v0@c" + i, dataset + "/c" + i);
        }
        out.put("clone", new long[] {(System.nanoTime() - t0) / count});
        long[] times = new long[refreshes];
        for (int r = 0; r < refreshes; r++) {
            long t = System.nanoTime();
            String listed = run("zfs", "list", "-Hp", "-t", "volume", "-d", "1", "-o",
                    "name,volsize,volblocksize,used,referenced,refreservation,origin", dataset);
            times[r] = System.nanoTime() - t;
            check(listed.lines().count() == 2L * count, "zfs list printed " + listed.lines().count() + " volumes");
        }
        out.put("refresh", new long[] {mean(times)});
        return out;
    }

    private static Map<String, long[]> libstorage(String dataset, Path config, int count, int refreshes)
            throws Exception {
        Map<String, long[]> out = new LinkedHashMap<>();
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool pool = storage.definePool(PoolDefinition.builder(PoolType.ZFS, "ls")
                    .source(PoolSource.builder().name(dataset).build()).build());
            pool.start();
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                pool.createVolume(VolumeDefinition.builder("v" + i, 64L << 20).allocation(0).build());
            }
            out.put("create", new long[] {(System.nanoTime() - t0) / count});
            Volume origin = pool.requireVolume("v0");
            t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                origin.cloneAs("c" + i, ProgressListener.NONE);
            }
            out.put("clone", new long[] {(System.nanoTime() - t0) / count});
            out.put("refresh", new long[] {meanRefresh(refreshes, pool)});
            check(pool.volumes().size() == 2 * count, "libstorage lists " + pool.volumes().size() + " volumes");
        }
        try (Storage storage = Storage.open(
                StorageConfig.ofDirectory(config).withBackendOption("zfs.refresh", "command"))) {
            Pool pool = storage.requirePool("ls");
            out.put("refresh-command", new long[] {meanRefresh(refreshes, pool)});
            check(pool.volumes().size() == 2 * count, "libstorage (zfs list) lists " + pool.volumes().size());
            pool.stop();
        }
        return out;
    }

    private static long meanRefresh(int refreshes, Pool pool) {
        long[] times = new long[refreshes];
        for (int r = 0; r < refreshes; r++) {
            long t = System.nanoTime();
            pool.refresh();
            times[r] = System.nanoTime() - t;
        }
        return mean(times);
    }

    /**
     * libvirt: creates in its own dataset, all in one virsh connection; clone is refused by its
     * zfs backend (no volume-from-volume), which is checked, not assumed; refresh is of a second
     * libvirt pool on libstorage's dataset (the same 2N zvols the others list).
     */
    private static Map<String, long[]> libvirt(StorageOnlyLibvirtd libvirt, String zpool, int count, int refreshes)
            throws Exception {
        Map<String, long[]> out = new LinkedHashMap<>();
        libvirt.virsh("pool-create-as lv zfs --source-name " + zpool + "/lv");
        StringBuilder creates = new StringBuilder();
        for (int i = 0; i < count; i++) {
            creates.append("vol-create-as lv v").append(i).append(" 64M --allocation 0; ");
        }
        long t0 = System.nanoTime();
        libvirt.virsh(creates.toString());
        out.put("create", new long[] {(System.nanoTime() - t0) / count});
        try {
            libvirt.virsh("vol-clone --pool lv v0 c0");
            throw new IllegalStateException("libvirt's zfs backend cloned a volume; measure it");
        } catch (IOException expected) {
            check(expected.getMessage().contains("not supported"), expected.getMessage());
            out.put("clone", new long[] {-1});
        }
        libvirt.virsh("pool-create-as ls zfs --source-name " + zpool + "/ls");
        String seen = libvirt.virsh("vol-list ls");
        check(seen.lines().filter(l -> !l.isBlank()).count() == 2L * count, "libvirt lists " + seen);
        // All R refreshes in one virsh connection, as a program holding a libvirt connection would.
        long t = System.nanoTime();
        libvirt.virsh("pool-refresh ls; ".repeat(refreshes));
        out.put("refresh", new long[] {(System.nanoTime() - t) / refreshes});
        libvirt.virsh("pool-destroy ls; pool-destroy lv");
        return out;
    }

    private static long mean(long[] times) {
        return Arrays.stream(times).sum() / times.length;
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }

    private static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv).substring(0, Math.min(200, String.join(" ", argv).length()))
                    + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    private static int quietly(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
