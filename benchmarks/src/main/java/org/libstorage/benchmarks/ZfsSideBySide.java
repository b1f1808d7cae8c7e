package org.libstorage.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;

/**
 * ZFS side by side, in one ZFS pool on a loop device: create N sparse zvols, clone one N times,
 * and refresh the listing of the 2N, by libstorage (libzfs_core; refresh by channel program and
 * by {@code zfs list}), by the {@code zfs} command (one process per operation, as a script or
 * libvirt runs them) and by libvirt's zfs backend through {@code virsh} (one virsh session for
 * all N, so its own start-up is paid once), each in its own dataset. Also checks that libvirt
 * and libstorage list the same volumes in libstorage's dataset.
 *
 * <p>Root, a kernel with ZFS (the lab: {@code bin/lab exec}); libvirt's part runs when
 * {@code virsh} can reach a running libvirtd.
 *
 * <pre>
 * java -cp benchmarks.jar org.libstorage.benchmarks.ZfsSideBySide [--count N] [--refreshes R] [--dir DIR]
 * </pre>
 */
public final class ZfsSideBySide {
    private static final long MIB = 1L << 20;

    private ZfsSideBySide() {
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
        Path image = dir.resolve(pool + ".img");
        Path config = Files.createTempDirectory(dir, pool + "-config");
        try (var channel = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(1L << 30);
        }
        List<String> report = new ArrayList<>();
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            run("zpool", "create", "-m", "none", pool, loop.path().toString());
            try {
                for (String dataset : List.of("cli", "ls", "lv")) {
                    run("zfs", "create", "-o", "mountpoint=none", pool + "/" + dataset);
                }
                report.addAll(commands(pool + "/cli", count, refreshes));
                report.addAll(libstorage(pool + "/ls", config, count, refreshes));
                report.addAll(libvirt(pool, count, refreshes));
            } finally {
                quietly("virsh", "pool-destroy", pool + "-lv");
                quietly("virsh", "pool-undefine", pool + "-lv");
                quietly("virsh", "pool-destroy", pool + "-ls");
                quietly("virsh", "pool-undefine", pool + "-ls");
                quietly("zpool", "destroy", "-f", pool);
            }
        } finally {
            Files.deleteIfExists(image);
        }
        System.out.println();
        System.out.println("ZFS side by side: " + count + " zvols, " + count + " clones, median of " + refreshes
                + " refreshes of " + (2 * count) + " zvols");
        report.forEach(System.out::println);
    }

    private static List<String> commands(String dataset, int count, int refreshes) throws Exception {
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            run("zfs", "create", "-s", "-V", "64M", dataset + "/v" + i);
        }
        long create = System.nanoTime() - t0;
        t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            run("zfs", "snapshot", dataset + "/v0@c" + i);
            run("zfs", "clone", dataset + "/v0@c" + i, dataset + "/c" + i);
        }
        long clone = System.nanoTime() - t0;
        long[] times = new long[refreshes];
        for (int r = 0; r < refreshes; r++) {
            long t = System.nanoTime();
            String out = run("zfs", "list", "-Hp", "-t", "volume", "-d", "1", "-o",
                    "name,volsize,volblocksize,used,referenced,refreservation,origin", dataset);
            times[r] = System.nanoTime() - t;
            check(out.lines().count() == 2L * count, "zfs list printed " + out.lines().count() + " volumes");
        }
        return List.of(line("zfs commands", "create", create, count), line("zfs commands", "clone (snapshot+clone)",
                clone, count), line("zfs commands", "refresh (zfs list)", median(times), 1));
    }

    private static List<String> libstorage(String dataset, Path config, int count, int refreshes) throws Exception {
        List<String> lines = new ArrayList<>();
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool pool = storage.definePool(PoolDefinition.builder(PoolType.ZFS, "ls")
                    .source(PoolSource.builder().name(dataset).build()).build());
            pool.start();
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                pool.createVolume(VolumeDefinition.builder("v" + i, 64 * MIB).allocation(0).build());
            }
            long create = System.nanoTime() - t0;
            Volume origin = pool.requireVolume("v0");
            t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                origin.cloneAs("c" + i, ProgressListener.NONE);
            }
            long clone = System.nanoTime() - t0;
            long[] times = new long[refreshes];
            for (int r = 0; r < refreshes; r++) {
                long t = System.nanoTime();
                pool.refresh();
                times[r] = System.nanoTime() - t;
            }
            check(pool.volumes().size() == 2 * count, "libstorage lists " + pool.volumes().size() + " volumes");
            lines.add(line("libstorage", "create (lzc_create)", create, count));
            lines.add(line("libstorage", "clone (lzc_snapshot+lzc_clone)", clone, count));
            lines.add(line("libstorage", "refresh (channel program)", median(times), 1));
        }
        System.setProperty("org.libstorage.zfs.refresh", "command");
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool pool = storage.requirePool("ls");
            long[] times = new long[refreshes];
            for (int r = 0; r < refreshes; r++) {
                long t = System.nanoTime();
                pool.refresh();
                times[r] = System.nanoTime() - t;
            }
            check(pool.volumes().size() == 2 * count, "libstorage (zfs list) lists " + pool.volumes().size());
            lines.add(line("libstorage", "refresh (zfs list fallback)", median(times), 1));
            pool.stop();
        } finally {
            System.clearProperty("org.libstorage.zfs.refresh");
        }
        return lines;
    }

    private static List<String> libvirt(String zpool, int count, int refreshes) throws Exception {
        if (quietly("virsh", "-q", "version") != 0) {
            return List.of("libvirt: skipped (virsh cannot reach libvirtd)");
        }
        List<String> lines = new ArrayList<>();
        String name = zpool + "-lv";
        run("virsh", "pool-define-as", name, "zfs", "--source-name", zpool + "/lv");
        run("virsh", "pool-start", name);
        StringBuilder creates = new StringBuilder();
        for (int i = 0; i < count; i++) {
            creates.append("vol-create-as ").append(name).append(" v").append(i).append(" 64M --allocation 0; ");
        }
        long t0 = System.nanoTime();
        run("virsh", creates.toString());
        long create = System.nanoTime() - t0;
        lines.add(line("libvirt (virsh session)", "create", create, count));
        int cloned = quietly("virsh", "vol-clone", "v0", "c0", "--pool", name);
        lines.add("libvirt (virsh session)          clone: " + (cloned == 0 ? "ran" : "refused (libvirt's zfs backend has no"
                + " volume-from-volume)"));
        long[] times = new long[refreshes];
        for (int r = 0; r < refreshes; r++) {
            long t = System.nanoTime();
            run("virsh", "pool-refresh", name);
            times[r] = System.nanoTime() - t;
        }
        lines.add(line("libvirt (virsh process)", "refresh of " + count + " (pool-refresh)", median(times), 1));

        // The same dataset seen by both: libvirt's pool on libstorage's dataset lists its volumes.
        run("virsh", "pool-define-as", zpool + "-ls", "zfs", "--source-name", zpool + "/ls");
        run("virsh", "pool-start", zpool + "-ls");
        TreeSet<String> seen = new TreeSet<>();
        for (String l : run("virsh", "vol-list", zpool + "-ls").lines().skip(2).toList()) {
            if (!l.isBlank()) {
                seen.add(l.strip().split("\\s+")[0]);
            }
        }
        lines.add("libvirt sees " + seen.size() + " volumes in libstorage's dataset " + zpool + "/ls"
                + (seen.size() == 2 * count ? " (all of them)" : " (expected " + (2 * count) + ")"));
        return lines;
    }

    private static String line(String who, String what, long nanos, int operations) {
        return String.format(Locale.ROOT, "%-32s %-34s %10.1f ms total  %8.2f ms each", who, what, nanos / 1e6,
                nanos / 1e6 / operations);
    }

    private static long median(long[] times) {
        long[] sorted = times.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
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
            throw new IOException(String.join(" ", argv) + " exited " + p.exitValue() + ": " + out);
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
