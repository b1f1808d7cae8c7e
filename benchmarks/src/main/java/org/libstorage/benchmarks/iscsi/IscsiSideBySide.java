package org.libstorage.benchmarks.iscsi;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Prints libstorage's iscsi-direct stream throughput next to {@code iscsi-perf} (libiscsi-bin)
 * reading the same LUN of the same loopback tgtd. iscsi-perf keeps several requests in flight;
 * libstorage's channel issues one 1 MiB READ(16)/WRITE(16) at a time, so the difference shows
 * what pipelining would buy. Needs root (tgtd).
 */
public final class IscsiSideBySide {
    private static final int PERF_SECONDS = 20;

    private IscsiSideBySide() {
    }

    public static void main(String[] args) throws Exception {
        IscsiBenchmark bench = new IscsiBenchmark();
        bench.setUp();
        try {
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                bench.upload1GiB();
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("libstorage upload   1 GiB: %7.1f MiB/s%n", mibPerSecond(best));
            best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                bench.download1GiB();
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("libstorage download 1 GiB: %7.1f MiB/s%n", mibPerSecond(best));
            best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                bench.refresh32Luns();
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("libstorage refresh of %d LUNs: %.1f ms%n", IscsiBenchmark.LUNS, best / 1e6);
            // iscsi-perf reads the LUN over and over until stopped, printing running averages
            // (its "MB/s" is requests/s times the request size: MiB/s with 2048 blocks of 512).
            for (String inFlight : List.of("1", "16")) {
                java.nio.file.Path log = java.nio.file.Files.createTempFile("iscsi-perf", ".log");
                Process p = new ProcessBuilder("iscsi-perf", "-i", LoopbackTarget.INITIATOR, "-m", inFlight,
                        "-b", "2048", bench.target.bigLunUrl()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                Thread.sleep(PERF_SECONDS * 1000L);
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
                String out = java.nio.file.Files.readString(log, StandardCharsets.ISO_8859_1);
                java.nio.file.Files.delete(log);
                String last = out.lines().flatMap(l -> java.util.Arrays.stream(l.split("\r")))
                        .filter(l -> l.contains("average")).reduce((a, b) -> b).orElse("(no output: " + out + ")");
                System.out.printf("iscsi-perf read, %s x 1 MiB in flight, %d s: %s%n", inFlight, PERF_SECONDS,
                        last.strip());
            }
        } finally {
            bench.tearDown();
        }
    }

    private static double mibPerSecond(long nanos) {
        return IscsiBenchmark.STREAM_BYTES / (1024.0 * 1024.0) / (nanos / 1e9);
    }
}
