package org.libstorage.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A libvirtd of a test's or benchmark's own, with libvirt's storage driver only, so libvirt's
 * backends can be put next to libstorage's (the zfs lab test and the zfs side-by-side run). It runs as root (libvirt's zfs backend runs {@code zfs}
 * and {@code zpool}) but listens on a socket under the test's directory, loads no hypervisor
 * driver (a qemu driver wants the {@code libvirt-qemu} user of libvirt-daemon-system; the
 * driver directory given in {@code LIBVIRT_DRIVER_DIR} holds only the storage driver) and
 * is spoken to as {@code storage:///system}. Pools are made with {@code pool-create-as}
 * (transient), so nothing is written under {@code /etc/libvirt}.
 */
public final class StorageOnlyLibvirtd implements AutoCloseable {
    private final Path dir;
    private final Process daemon;

    private StorageOnlyLibvirtd(Path dir, Process daemon) {
        this.dir = dir;
        this.daemon = daemon;
    }

    /**
     * Starts one in {@code dir} (short: the socket path must fit in 108 bytes) and waits for its
     * socket. Needs root, {@code libvirtd} and {@code virsh}; a test says so first through
     * {@link Requirements} (not done here, so that benchmarks can use this without JUnit).
     */
    public static StorageOnlyLibvirtd start(Path dir) throws IOException, InterruptedException {
        Path storageDriver = storageDriver();
        Path drivers = Files.createDirectories(dir.resolve("drivers"));
        Files.createSymbolicLink(drivers.resolve(storageDriver.getFileName()), storageDriver);
        Path config = dir.resolve("libvirtd.conf");
        Files.writeString(config, """
                unix_sock_dir = "%s"
                log_outputs = "3:file:%s"
                """.formatted(dir, dir.resolve("libvirtd.log")));
        ProcessBuilder builder = new ProcessBuilder("libvirtd", "-f", config.toString(), "-p",
                dir.resolve("libvirtd.pid").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("libvirtd.out").toFile());
        builder.environment().put("LIBVIRT_DRIVER_DIR", drivers.toString());
        Process daemon = builder.start();
        StorageOnlyLibvirtd libvirtd = new StorageOnlyLibvirtd(dir, daemon);
        // Under TCG libvirtd takes seconds to start; its socket appears when it accepts.
        for (int i = 0; i < 1200 && !Files.exists(libvirtd.socket()); i++) {
            if (daemon.waitFor(100, TimeUnit.MILLISECONDS)) {
                throw new IOException("libvirtd exited " + daemon.exitValue() + ": " + libvirtd.log());
            }
        }
        if (!Files.exists(libvirtd.socket())) {
            libvirtd.close();
            throw new IOException("libvirtd made no socket in 120 s: " + libvirtd.log());
        }
        return libvirtd;
    }

    private static Path storageDriver() throws IOException {
        try (Stream<Path> libs = Files.list(Path.of("/usr/lib"))) {
            return libs.map(lib -> lib.resolve("libvirt/connection-driver/libvirt_driver_storage.so"))
                    .filter(Files::exists).findFirst()
                    .orElseThrow(() -> new IOException("no libvirt_driver_storage.so under /usr/lib/*/libvirt"));
        }
    }

    public Path socket() {
        return dir.resolve("libvirt-sock");
    }

    /** Runs virsh commands (several separated by ';') in one connection; its output, or an IOException with it. */
    public String virsh(String commands) throws IOException, InterruptedException {
        String[] argv = {"virsh", "-q", "-c", "storage:///system?socket=" + socket(), commands};
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // Under TCG a virsh holding many refreshes takes minutes.
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("virsh " + commands + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException("virsh " + commands + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    public List<String> volumeNames(String pool) throws IOException, InterruptedException {
        return virsh("vol-list " + pool).lines().filter(l -> !l.isBlank()).map(l -> l.strip().split("\\s+")[0])
                .sorted().toList();
    }

    private String log() {
        try {
            Path log = dir.resolve("libvirtd.log");
            Path out = dir.resolve("libvirtd.out");
            return (Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "")
                    + (Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "");
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        daemon.destroy();
        if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
            daemon.destroyForcibly().waitFor();
        }
    }
}
