package org.libstorage.benchmarks.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A libvirtd of the benchmark's own, started and stopped by it, sharing nothing with a system
 * daemon: a session daemon run as {@code nobody} (uid 65534) with HOME and the XDG directories
 * under {@code home}, so its socket, state, pool definitions and logs all live there.
 *
 * <p>Why not a root daemon: as root libvirtd is always the privileged daemon, whatever the
 * environment; {@code --config} with {@code unix_sock_dir} moves its sockets but not its
 * drivers' state and configuration (/run/libvirt, /etc/libvirt/storage, /var/lib/libvirt), nor
 * its lock on /run/libvirtd.pid, so it would collide with the host's daemon or another run.
 * A session daemon keeps everything under XDG_RUNTIME_DIR, XDG_CONFIG_HOME and XDG_CACHE_HOME;
 * root reaches it through its socket with {@code qemu:///session?socket=PATH} (root passes the
 * socket's 0700 mode), from virsh and from libvirt-java alike.
 */
final class PrivateLibvirtd implements AutoCloseable {
    static final int NOBODY = 65534;

    private final Path home;
    private final Process process;

    private PrivateLibvirtd(Path home, Process process) {
        this.home = home;
        this.process = process;
    }

    /** Starts the daemon and waits (up to 30 s) for its socket. */
    static PrivateLibvirtd start(Path home) throws IOException, InterruptedException {
        for (String d : List.of("run", "config", "cache")) {
            Files.createDirectories(home.resolve(d));
        }
        chownNobody(home);
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "libvirtd", "--timeout", "0", "--pid-file", home.resolve("run/libvirtd.pid").toString())
                .redirectErrorStream(true).redirectOutput(home.resolve("libvirtd.log").toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", home.toString());
        env.put("XDG_RUNTIME_DIR", home.resolve("run").toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("XDG_CACHE_HOME", home.resolve("cache").toString());
        env.put("LIBVIRT_DEFAULT_URI", "qemu:///session");
        Process process = pb.start();
        PrivateLibvirtd daemon = new PrivateLibvirtd(home, process);
        Path socket = daemon.socket();
        for (int i = 0; i < 300 && !Files.exists(socket); i++) {
            if (!process.isAlive()) {
                throw new IOException("libvirtd exited with " + process.exitValue() + "; see " + home.resolve("libvirtd.log"));
            }
            Thread.sleep(100);
        }
        if (!Files.exists(socket)) {
            daemon.close();
            throw new IOException("libvirtd made no socket at " + socket + " in 30 s");
        }
        return daemon;
    }

    static void chownNobody(Path path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("chown", "-R", NOBODY + ":" + NOBODY, path.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("chown " + path + " failed");
        }
    }

    Path socket() {
        return home.resolve("run/libvirt/libvirt-sock");
    }

    /** The URI virsh ({@code -c}) and libvirt-java use to reach this daemon and no other. */
    String uri() {
        return "qemu:///session?socket=" + socket();
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: libvirtd shuts down its drivers and removes its socket
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
