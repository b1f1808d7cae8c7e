package org.libstorage.benchmarks.iscsi;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.SecretStore;
import org.libstorage.backends.iscsi.IscsiDirectBackend;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolDriver;

/**
 * A tgtd on 127.0.0.1 for benchmarks: target 1 has {@code smallLuns} LUNs of 64 MiB (for
 * refresh), target 2 one LUN of {@code bigLunBytes} (for streaming). Backing files are sparse
 * files in a temporary directory; {@link #close()} kills tgtd and deletes them. Needs root.
 */
public final class LoopbackTarget implements AutoCloseable {
    public static final String INITIATOR = "iqn.2026-01.org.libstorage.bench:initiator";

    private final Path dir;
    private final Process tgtd;
    private final int port;
    private final int control;
    private final String manyLuns;
    private final String bigLun;

    private LoopbackTarget(Path dir, Process tgtd, int port, int control, String manyLuns, String bigLun) {
        this.dir = dir;
        this.tgtd = tgtd;
        this.port = port;
        this.control = control;
        this.manyLuns = manyLuns;
        this.bigLun = bigLun;
    }

    public static LoopbackTarget start(int smallLuns, long bigLunBytes) throws Exception {
        Path dir = Files.createTempDirectory("libstorage-iscsi-bench");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(Path.of("/var/run/tgtd"));
        int control;
        do {
            control = ThreadLocalRandom.current().nextInt(1000, 32000);
        } while (Files.exists(Path.of("/var/run/tgtd/socket." + control)));
        Process p = new ProcessBuilder("/usr/sbin/tgtd", "-f", "-C", Integer.toString(control), "--iscsi",
                "portal=127.0.0.1:" + port).redirectErrorStream(true).redirectOutput(dir.resolve("tgtd.log").toFile())
                .start();
        // tgtd ignores SIGTERM; if this JVM is stopped before close(), take tgtd down with it.
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "tgtd-reaper"));
        LoopbackTarget target = new LoopbackTarget(dir, p, port, control, "iqn.2026-01.org.libstorage.bench:many",
                "iqn.2026-01.org.libstorage.bench:big");
        try {
            target.awaitReady();
            target.tgtadm("--mode", "target", "--op", "new", "--tid", "1", "--targetname", target.manyLuns);
            for (int i = 1; i <= smallLuns; i++) {
                target.tgtadm("--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", Integer.toString(i),
                        "-b", sparse(dir.resolve("small" + i + ".img"), 64L << 20).toString());
            }
            target.tgtadm("--mode", "target", "--op", "bind", "--tid", "1", "-I", "ALL");
            target.tgtadm("--mode", "target", "--op", "new", "--tid", "2", "--targetname", target.bigLun);
            target.tgtadm("--mode", "logicalunit", "--op", "new", "--tid", "2", "--lun", "1", "-b",
                    sparse(dir.resolve("big.img"), bigLunBytes).toString());
            target.tgtadm("--mode", "target", "--op", "bind", "--tid", "2", "-I", "ALL");
        } catch (Exception | Error e) {
            target.close();
            throw e;
        }
        return target;
    }

    private static Path sparse(Path file, long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return file;
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!tgtd.isAlive()) {
                throw new IllegalStateException("tgtd exited: " + Files.readString(dir.resolve("tgtd.log")));
            }
            if (Files.exists(Path.of("/var/run/tgtd/socket." + control))) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return;
                } catch (IOException e) {
                    // not listening yet
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("tgtd did not come up");
    }

    private void tgtadm(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("/usr/sbin/tgtadm", "-C", Integer.toString(control), "--lld", "iscsi"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + ": " + out);
        }
    }

    public int port() {
        return port;
    }

    /** iscsi-perf's URL of the big LUN. */
    public String bigLunUrl() {
        return "iscsi://127.0.0.1:" + port + "/" + bigLun + "/1";
    }

    public PoolDriver manyLunsPool() {
        return pool("many", manyLuns);
    }

    public PoolDriver bigLunPool() {
        return pool("big", bigLun);
    }

    private PoolDriver pool(String name, String iqn) {
        PoolDefinition definition = PoolDefinition.builder(PoolType.ISCSI_DIRECT, name).source(PoolSource.builder()
                .host(new PoolSource.Host("127.0.0.1", OptionalInt.of(port))).device(Path.of(iqn))
                .initiatorIqn(INITIATOR).build()).build();
        PoolDriver driver = new IscsiDirectBackend().open(definition, new BackendContext(dir.resolve(name), SecretStore.NONE));
        driver.start();
        return driver;
    }

    Optional<Path> directory() {
        return Optional.of(dir);
    }

    @Override
    public void close() throws Exception {
        tgtd.destroyForcibly();
        tgtd.waitFor(10, TimeUnit.SECONDS);
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + control));
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + control + ".lock"));
        try (var files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
