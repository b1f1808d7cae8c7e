package org.libstorage.benchmarks.rbd;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.libstorage.Pool;
import org.libstorage.ProgressListener;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.testing.CephCluster;

/**
 * rbd pools side by side on one loopback cluster ({@link CephCluster}, the tests' fixture, here with cephx off): libstorage (librbd in
 * process), the {@code rbd} command (one process per image, as a script runs it) and libvirt's
 * rbd backend (a private session libvirtd driven by one {@code virsh} connection per phase).
 * Each contender gets its own Ceph pool. Phases: create N images, clone N from one of them,
 * refresh (list with sizes and allocation), stream a file of random data into an image and
 * back out. Prints milliseconds and libstorage's ratio. Needs root.
 *
 * <p>Arguments: {@code [images [stream-MiB]]}, 100 and 1024 by default.
 */
public final class RbdSideBySide {
    private static final long MIB = 1 << 20;

    private RbdSideBySide() {
    }

    public static void main(String[] args) throws Exception {
        int images = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        long streamMib = args.length > 1 ? Long.parseLong(args[1]) : 1024;
        Path work = Files.createTempDirectory("libstorage-bench-rbd-");
        try (CephCluster ceph = CephCluster.start(new CephCluster.Settings(false, 6L << 30))) {
            System.out.printf("cluster (1 mon, 1 memstore OSD) up in %d ms%n", ceph.startup().toMillis());
            Path data = work.resolve("stream.raw");
            writeRandom(data, streamMib * MIB);
            List<Row> rows = new ArrayList<>();

            String mine = ceph.createPool();
            Storage storage = Storage.open(StorageConfig.ofDirectory(work.resolve("config")));
            Pool pool = storage.definePoolXml(xml("bench", mine, ceph.port()));
            pool.start();
            Path files = Files.createDirectories(work.resolve("files"));
            Pool dir = storage.definePoolXml("<pool type='dir'><name>files</name><target><path>" + files
                    + "</path></target></pool>");
            dir.start();
            Files.move(data, files.resolve("stream.raw"));
            data = files.resolve("stream.raw");
            dir.refresh();

            long create = time(() -> {
                for (int i = 0; i < images; i++) {
                    pool.createVolume(VolumeDefinition.builder("img-" + i, 64 * MIB).build());
                }
            });
            Volume base = pool.requireVolume("img-0");
            long clone = time(() -> {
                for (int i = 0; i < images; i++) {
                    pool.createVolumeFrom(VolumeDefinition.builder("clone-" + i, 64 * MIB).build(), base,
                            ProgressListener.NONE);
                }
            });
            long refresh = best(3, pool::refresh);
            Volume source = dir.requireVolume("stream.raw");
            long upload = time(() -> pool.createVolumeFrom(VolumeDefinition.builder("big", streamMib * MIB).build(),
                    source, ProgressListener.NONE));
            Volume big = pool.requireVolume("big");
            long download = time(() -> {
                try (ReadableByteChannel in = big.download(0, -1);
                     var out = Files.newByteChannel(work.resolve("back.raw"), java.nio.file.StandardOpenOption.CREATE,
                             java.nio.file.StandardOpenOption.WRITE)) {
                    ByteBuffer b = ByteBuffer.allocateDirect(4 << 20);
                    while (in.read(b) >= 0) {
                        b.flip();
                        while (b.hasRemaining()) {
                            out.write(b);
                        }
                        b.clear();
                    }
                }
            });
            Files.delete(work.resolve("back.raw"));
            storage.close();

            String cli = ceph.createPool();
            String conf = ceph.conf().toString();
            long cliCreate = time(() -> {
                for (int i = 0; i < images; i++) {
                    ceph.rbd("create", "--size", "64M", cli + "/img-" + i);
                }
            });
            long cliClone = time(() -> {
                ceph.rbd("snap", "create", cli + "/img-0@base");
                ceph.rbd("snap", "protect", cli + "/img-0@base");
                for (int i = 0; i < images; i++) {
                    ceph.rbd("clone", cli + "/img-0@base", cli + "/clone-" + i);
                }
            });
            long cliRefresh = best(3, () -> {
                ceph.rbd("ls", "-l", cli);
                ceph.rbd("du", "-p", cli);
            });
            Path stream = data;
            long cliUpload = time(() -> ceph.rbd("import", stream.toString(), cli + "/big"));
            long cliDownload = time(() -> ceph.rbd("export", cli + "/big", work.resolve("back-cli.raw").toString()));
            Files.delete(work.resolve("back-cli.raw"));

            rows.add(new Row("create " + images + " images", create, cliCreate));
            rows.add(new Row("clone " + images + " images", clone, cliClone));
            rows.add(new Row("refresh (" + (2 * images + 1) + " images)", refresh, cliRefresh));
            rows.add(new Row("stream " + streamMib + " MiB in", upload, cliUpload));
            rows.add(new Row("stream " + streamMib + " MiB out", download, cliDownload));

            Map<String, Long> libvirt = libvirt(ceph, work, images, stream);
            System.out.printf("%-28s %12s %12s %8s %12s %8s%n", "phase", "libstorage", "rbd cmd", "ratio", "libvirt",
                    "ratio");
            for (Row r : rows) {
                Long lv = libvirt.get(r.phase());
                System.out.printf("%-28s %9d ms %9d ms %7.2fx %s%n", r.phase(), r.mine() / 1_000_000,
                        r.cli() / 1_000_000, (double) r.cli() / r.mine(),
                        lv == null ? "           -" : lv < 0 ? " unsupported" : String.format("%9d ms %7.2fx", lv / 1_000_000, (double) lv / r.mine()));
            }
            System.out.println("ratio = other's time / libstorage's time (above 1: libstorage is faster)");
        } finally {
            try (var walk = Files.walk(work)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private record Row(String phase, long mine, long cli) {
    }

    /**
     * The same phases through libvirt's rbd backend: a session libvirtd of its own (HOME and
     * XDG directories under the work directory, started by virsh), one virsh connection per
     * phase running all of that phase's commands. Empty when libvirt cannot run here.
     */
    private static Map<String, Long> libvirt(CephCluster ceph, Path work, int images, Path stream) {
        Map<String, Long> out = new java.util.HashMap<>();
        try {
            Path home = Files.createDirectories(work.resolve("libvirt-home"));
            Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(stream.getParent(),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(stream, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            for (String d : List.of("run", "config", "cache")) {
                Files.createDirectories(home.resolve(d));
            }
            new ProcessBuilder("chown", "-R", "65534:65534", home.toString()).inheritIO().start().waitFor();
            String pool = ceph.createPool();
            Path xml = work.resolve("libvirt-pool.xml");
            Files.writeString(xml, xml("lv", pool, ceph.port()));
            Virsh virsh = new Virsh(home);
            virsh.run("pool-define " + xml + "; pool-start lv");
            StringBuilder create = new StringBuilder();
            StringBuilder clone = new StringBuilder();
            for (int i = 0; i < images; i++) {
                create.append("vol-create-as lv img-").append(i).append(" 64M; ");
                clone.append("vol-clone --pool lv img-0 clone-").append(i).append("; ");
            }
            out.put("create " + images + " images", time(() -> virsh.run(create.toString())));
            out.put("clone " + images + " images", time(() -> virsh.run(clone.toString())));
            out.put("refresh (" + (2 * images + 1) + " images)", best(3, () -> virsh.run("pool-refresh lv")));
            long size = Files.size(stream);
            virsh.run("vol-create-as lv big " + size);
            try {
                out.put("stream " + size / MIB + " MiB in", time(() -> virsh.run("vol-upload --pool lv big " + stream)));
                Path back = home.resolve("back-libvirt.raw");
                out.put("stream " + size / MIB + " MiB out", time(() -> virsh.run("vol-download --pool lv big " + back)));
                Files.deleteIfExists(back);
            } catch (AssertionError e) {
                // libvirt 9's rbd backend has no vol-upload/vol-download ("storage pool doesn't support volume upload")
                out.put("stream " + size / MIB + " MiB in", -1L);
                out.put("stream " + size / MIB + " MiB out", -1L);
            }
            virsh.run("pool-destroy lv; pool-undefine lv");
            // The session daemon virsh started exits by itself after its idle timeout (120 s).
        } catch (Exception | AssertionError e) {
            System.out.println("libvirt: not measured: " + e.getMessage());
        }
        return out;
    }

    /** virsh on a private session daemon; the daemon exits by itself when idle. */
    private record Virsh(Path home) {
        void run(String commands) throws Exception {
            // As root, virsh's session URI still means the system daemon; as nobody it is a
            // private daemon whose sockets and state live under HOME and XDG_RUNTIME_DIR.
            ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "virsh", "-q", "-c", "qemu:///session", commands).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.put("HOME", home.toString());
            env.put("XDG_RUNTIME_DIR", home.resolve("run").toString());
            env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
            env.put("XDG_CACHE_HOME", home.resolve("cache").toString());
            Process p = pb.start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new AssertionError("virsh " + commands.substring(0, Math.min(80, commands.length())) + ": " + text);
            }
        }
    }

    static String xml(String name, String cephPool, int port) {
        return """
                <pool type='rbd'>
                  <name>%s</name>
                  <source>
                    <name>%s</name>
                    <host name='127.0.0.1' port='%d'/>
                  </source>
                </pool>
                """.formatted(name, cephPool, port);
    }

    private static void writeRandom(Path file, long bytes) throws IOException {
        Random random = new Random(42);
        byte[] chunk = new byte[(int) MIB];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < bytes; done += chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
    }

    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    static long time(Body body) throws Exception {
        long t0 = System.nanoTime();
        body.run();
        return System.nanoTime() - t0;
    }

    static long best(int runs, Body body) throws Exception {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            best = Math.min(best, time(body));
        }
        return best;
    }
}
