package org.libstorage.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A one-node Ceph cluster on 127.0.0.1 for the tests, from Debian's packages: one monitor
 * (msgr2 on a free port), one OSD on memstore, cephx on, everything (ceph.conf, keyrings, data,
 * logs, sockets) in a private directory under /tmp; no systemd, no /etc/ceph. One cluster per
 * test JVM ({@link #shared()}), stopped by a shutdown hook. Outside CI a host without the
 * packages or root skips; under {@code CI=true} a cluster that cannot start fails the test.
 * The benchmarks start clusters of their own with {@link #start(Settings)} (no JUnit involved).
 */
public final class CephCluster implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CephCluster.class.getName());
    private static CephCluster shared;
    private static Throwable failed;

    /**
     * How a cluster is made: cephx on or off (off, a client such as libvirt needs no secret;
     * cephx costs one handshake per connection, the same for every contender of a benchmark),
     * and the memstore OSD's capacity in bytes.
     */
    public record Settings(boolean cephx, long memstoreBytes) {
        /** The tests' cluster: cephx on, 4 GiB. */
        public static final Settings TESTS = new Settings(true, 4L << 30);
    }

    private final Path dir;
    private final int port;
    private final Settings settings;
    private final List<Process> daemons = new ArrayList<>();
    private Process mon;
    private Process osd;
    private String adminKey;
    private Duration startup;

    private CephCluster(Path dir, int port, Settings settings) {
        this.dir = dir;
        this.port = port;
        this.settings = settings;
    }

    /** The cluster of this test run, started on first use. */
    public static synchronized CephCluster shared() {
        Requirements.requireCommand("ceph-mon", "ceph-mon");
        Requirements.requireCommand("ceph-osd", "ceph-osd");
        Requirements.requireCommand("ceph", "ceph-common");
        Requirements.requireRoot("the Ceph test cluster runs its daemons as root");
        if (failed != null) {
            throw new AssertionError("the Ceph test cluster did not start", failed);
        }
        if (shared == null) {
            try {
                CephCluster c = new CephCluster(Files.createTempDirectory("libstorage-ceph-"), freePort(), Settings.TESTS);
                Runtime.getRuntime().addShutdownHook(new Thread(c::stop, "ceph-test-cluster-stop"));
                c.start();
                shared = c;
            } catch (Exception | AssertionError e) {
                failed = e;
                throw new AssertionError("the Ceph test cluster did not start", e);
            }
        }
        return shared;
    }

    /**
     * A cluster of the caller's own, not the tests' shared one, stopped by {@link #close()} or
     * at exit. Needs root and the ceph-mon, ceph-osd and ceph-common packages.
     */
    public static CephCluster start(Settings settings) throws Exception {
        CephCluster c = new CephCluster(Files.createTempDirectory("libstorage-ceph-"), freePort(), settings);
        Runtime.getRuntime().addShutdownHook(new Thread(c::stop, "ceph-cluster-stop"));
        c.start();
        return c;
    }

    @Override
    public void close() {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void start() throws Exception {
        long t0 = System.nanoTime();
        String fsid = UUID.randomUUID().toString();
        for (String d : List.of("mon/ceph-a", "osd/ceph-0", "run", "log")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(conf(), """
                [global]
                fsid = %1$s
                mon host = 127.0.0.1:%2$d
                public addr = 127.0.0.1
                auth cluster required = %4$s
                auth service required = %4$s
                auth client required = %4$s
                osd pool default size = 1
                osd pool default min size = 1
                osd pool default pg num = 8
                osd pool default pgp num = 8
                mon allow pool size one = true
                mon allow pool delete = true
                mon warn on pool no redundancy = false
                osd crush chooseleaf type = 0
                osd objectstore = memstore
                memstore device bytes = %5$d
                run dir = %3$s/run
                admin socket = %3$s/run/$name.asok
                pid file = %3$s/run/$name.pid
                log file = %3$s/log/$name.log
                mon cluster log file = %3$s/log/cluster.log
                mon data = %3$s/mon/$cluster-$id
                osd data = %3$s/osd/$cluster-$id
                keyring = %3$s/keyring
                """.formatted(fsid, port, dir, settings.cephx() ? "cephx" : "none", settings.memstoreBytes()));
        Path keyring = dir.resolve("keyring");
        run("ceph-authtool", "--create-keyring", keyring.toString(), "--gen-key", "-n", "mon.", "--cap", "mon", "allow *");
        run("ceph-authtool", keyring.toString(), "--gen-key", "-n", "client.admin", "--cap", "mon", "allow *",
                "--cap", "osd", "allow *", "--cap", "mgr", "allow *");
        if (!settings.cephx()) {
            run("chmod", "0644", keyring.toString()); // nothing to protect without cephx; any user's client reads it
        }
        // The monitor imports every key of its initial keyring, so the OSD needs no 'ceph auth add'.
        run("ceph-authtool", keyring.toString(), "--gen-key", "-n", "osd.0", "--cap", "mon", "allow profile osd",
                "--cap", "osd", "allow *", "--cap", "mgr", "allow profile osd");
        adminKey = run("ceph-authtool", keyring.toString(), "-n", "client.admin", "-p").strip();
        run("monmaptool", "--create", "--addv", "a", "[v2:127.0.0.1:" + port + "]", "--fsid", fsid,
                dir.resolve("monmap").toString());
        run("ceph-mon", "-c", conf().toString(), "--mkfs", "-i", "a", "--monmap", dir.resolve("monmap").toString(),
                "--keyring", keyring.toString());
        mon = daemon("mon.a", "ceph-mon", "-f", "-c", conf().toString(), "-i", "a");
        String uuid = UUID.randomUUID().toString();
        ceph("osd", "new", uuid, "0");
        run("ceph-osd", "-c", conf().toString(), "-i", "0", "--mkfs", "--osd-uuid", uuid);
        startOsd();
        startup = Duration.ofNanos(System.nanoTime() - t0);
        LOG.log(System.Logger.Level.INFO, "Ceph test cluster at 127.0.0.1:{0} in {1} up in {2} ms", port, dir,
                startup.toMillis());
        System.err.println("CephCluster: one mon + one memstore OSD up in " + startup.toMillis() + " ms at 127.0.0.1:"
                + port);
    }

    private void startOsd() throws Exception {
        osd = daemon("osd.0", "ceph-osd", "-f", "-c", conf().toString(), "-i", "0");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!osd.isAlive()) {
                throw new AssertionError("ceph-osd exited: " + tail("osd.0"));
            }
            if (ceph("osd", "stat").contains("1 up")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the OSD did not come up: " + tail("osd.0"));
    }

    private Process daemon(String name, String... argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").resolve(name + ".out").toFile()).start();
        daemons.add(p);
        return p;
    }

    private String tail(String name) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("log").resolve(name + ".log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public Path conf() {
        return dir.resolve("ceph.conf");
    }

    public int port() {
        return port;
    }

    /** client.admin's key, base64 as {@code ceph auth get-key} prints it. */
    public String adminKey() {
        return adminKey;
    }

    public Duration startup() {
        return startup;
    }

    /** A new replicated pool with a random name, initialised for RBD. */
    public String createPool() throws Exception {
        String name = "t" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        ceph("osd", "pool", "create", name, "8", "8");
        ceph("osd", "pool", "application", "enable", name, "rbd");
        return name;
    }

    /** Runs {@code ceph ARGS} as client.admin and returns its output. */
    public String ceph(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ceph", "-c", conf().toString(), "--connect-timeout", "20"));
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    /** Runs {@code rbd ARGS} as client.admin and returns its output. */
    public String rbd(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("rbd", "-c", conf().toString()));
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    /** Freezes the OSD (SIGSTOP): requests to it then time out, and nothing it holds is lost. */
    public void pauseOsd() throws Exception {
        run("kill", "-STOP", Long.toString(osd.pid()));
    }

    public void resumeOsd() throws Exception {
        run("kill", "-CONT", Long.toString(osd.pid()));
    }

    private static String run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", argv) + " did not finish");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", argv) + " failed with status " + p.exitValue() + ": " + text);
        }
        return text;
    }

    private synchronized void stop() {
        for (Process p : daemons) {
            if (p.isAlive()) {
                try {
                    run("kill", "-CONT", Long.toString(p.pid()));
                } catch (Exception | AssertionError ignored) {
                    // it may be gone already
                }
                p.destroy();
            }
        }
        for (Process p : daemons) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp directory
        }
    }
}
