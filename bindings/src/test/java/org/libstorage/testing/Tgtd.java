package org.libstorage.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A private tgtd for one test: iSCSI on 127.0.0.1 at a free port, management on its own control
 * port. tgtd 1.0.85 takes the control port with {@code -C N} and listens on
 * {@code /var/run/tgtd/socket.N} (tgtadm's {@code TGT_IPC_SOCKET} only moves the client side), so
 * a distinct N is a private control socket. {@link #close()} kills it and removes its socket.
 * Outside CI, a host without tgtd or root skips; under {@code CI=true} that fails.
 */
public final class Tgtd implements AutoCloseable {
    public static final String IQN_PREFIX = "iqn.2026-01.org.libstorage.test:";

    private final Path dir;
    private final int port;
    private final int controlPort;
    private final Process process;
    private boolean stopped;

    private Tgtd(Path dir, int port, int controlPort, Process process) {
        this.dir = dir;
        this.port = port;
        this.controlPort = controlPort;
        this.process = process;
    }

    /** Starts tgtd with its log in {@code dir/tgtd.log}. */
    public static Tgtd start(Path dir) throws Exception {
        Requirements.requireCommand("tgtd", "tgt");
        Requirements.requireCommand("tgtadm", "tgt");
        Requirements.requireRoot("to run tgtd");
        Files.createDirectories(Path.of("/var/run/tgtd"));
        int port = freePort();
        int control;
        do {
            control = ThreadLocalRandom.current().nextInt(1000, 32000);
        } while (Files.exists(socket(control)) || Files.exists(lock(control)));
        Path log = dir.resolve("tgtd.log");
        Process p = new ProcessBuilder("/usr/sbin/tgtd", "-f", "-C", Integer.toString(control),
                "--iscsi", "portal=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // tgtd ignores SIGTERM; if the test JVM dies before close(), take tgtd down with it.
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "tgtd-reaper"));
        Tgtd tgtd = new Tgtd(dir, port, control, p);
        try {
            tgtd.awaitReady();
        } catch (Exception | AssertionError e) {
            tgtd.close();
            throw e;
        }
        return tgtd;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Path socket(int control) {
        return Path.of("/var/run/tgtd/socket." + control);
    }

    private static Path lock(int control) {
        return Path.of("/var/run/tgtd/socket." + control + ".lock");
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("tgtd exited: " + Files.readString(dir.resolve("tgtd.log")));
            }
            if (Files.exists(socket(controlPort)) && portOpen()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("tgtd did not come up: " + Files.readString(dir.resolve("tgtd.log")));
    }

    private boolean portOpen() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    public String portal() {
        return "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** Runs tgtadm against this tgtd; fails the test on error. */
    public String tgtadm(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("/usr/sbin/tgtadm", "-C", Integer.toString(controlPort),
                "--lld", "iscsi"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", argv) + " failed: " + out);
        }
        return out;
    }

    /** A target open to every initiator, with a disk LUN per backing file (LUN 1, 2, ...). */
    public String target(int tid, String name, Path... backing) throws Exception {
        String iqn = IQN_PREFIX + name;
        tgtadm("--mode", "target", "--op", "new", "--tid", Integer.toString(tid), "--targetname", iqn);
        for (int i = 0; i < backing.length; i++) {
            lun(tid, i + 1, backing[i]);
        }
        tgtadm("--mode", "target", "--op", "bind", "--tid", Integer.toString(tid), "-I", "ALL");
        return iqn;
    }

    public void lun(int tid, int lun, Path backing, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--mode", "logicalunit", "--op", "new", "--tid",
                Integer.toString(tid), "--lun", Integer.toString(lun), "-b", backing.toString()));
        args.addAll(List.of(extra));
        tgtadm(args.toArray(String[]::new));
    }

    /** A CHAP account bound to the target (incoming: the initiator authenticates). */
    public void chap(int tid, String user, String password) throws Exception {
        tgtadm("--mode", "account", "--op", "new", "--user", user, "--password", password);
        tgtadm("--mode", "account", "--op", "bind", "--tid", Integer.toString(tid), "--user", user);
    }

    /** A sparse backing file of {@code bytes}. */
    public static Path backing(Path dir, String name, long bytes) throws IOException {
        Path file = dir.resolve(name);
        try (var f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return file;
    }

    /** SIGSTOP/SIGCONT: a target that stops answering without closing its connections. */
    public void pause() throws Exception {
        signal("-STOP");
    }

    public void resume() throws Exception {
        signal("-CONT");
    }

    private void signal(String signal) throws Exception {
        Process p = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGKILL, as a crash would. */
    public void kill() throws Exception {
        if (!stopped) {
            stopped = true;
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (process.isAlive()) {
                resume();
            }
            kill();
        } finally {
            Files.deleteIfExists(socket(controlPort));
            Files.deleteIfExists(lock(controlPort));
        }
    }
}
