package org.libstorage.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.libstorage.BuildMode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageEvent;
import org.libstorage.VolumeDefinition;

/**
 * {@code bin/bench events [EVENTS] [CREATES]}: what the event journal costs and how fast it tells.
 * <ol>
 * <li>Latency: this process subscribes; a child JVM creates EVENTS volumes (one every 20 ms, so
 * each is measured alone); for each event, the time from the writer's clock at its append (the
 * change is made by then) to its delivery here. Median and p99.</li>
 * <li>Cost: CREATES quick {@code createVolume}s in a dir pool with the journal and with
 * {@code events.journal=off}, alternating rounds; the median time a create takes in each.</li>
 * </ol>
 * Scratch under {@code /var/tmp} (or {@code --dir DIR}), removed afterwards.
 */
public final class EventsHarness {
    private EventsHarness() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(Path.of(args[1]), Integer.parseInt(args[2]));
            return;
        }
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        Path parent = Path.of("/var/tmp");
        int at = rest.indexOf("--dir");
        if (at >= 0) {
            parent = Path.of(rest.get(at + 1));
            rest.subList(at, at + 2).clear();
        }
        int events = rest.isEmpty() ? 500 : Integer.parseInt(rest.get(0));
        int creates = rest.size() < 2 ? 1000 : Integer.parseInt(rest.get(1));
        Path scratch = Files.createTempDirectory(Files.createDirectories(parent), "libstorage-events-");
        try {
            latency(scratch.resolve("latency"), events);
            cost(scratch.resolve("cost"), creates);
        } finally {
            try (Stream<Path> all = Files.walk(scratch)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Pool pool(Storage storage, Path dir, String name) {
        Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, name).targetPath(dir.resolve(name)).build());
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        return pool;
    }

    private static void latency(Path dir, int count) throws Exception {
        Path config = dir.resolve("config");
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            pool(storage, dir, "latency");
            BlockingQueue<long[]> got = new LinkedBlockingQueue<>();
            storage.events(StorageEvent.NEW).subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(StorageEvent e) {
                    Instant now = Instant.now();
                    if (e instanceof StorageEvent.VolumeEvent) {
                        got.add(new long[] {Duration.between(e.time(), now).toNanos()});
                    }
                }

                @Override
                public void onError(Throwable t) {
                    t.printStackTrace();
                }

                @Override
                public void onComplete() {
                }
            });
            Thread.sleep(500); // the subscription is reading before the child starts
            String java = ProcessHandle.current().info().command().orElse("java");
            Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), EventsHarness.class.getName(), "child", config.toString(),
                    String.valueOf(count)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            long[] nanos = new long[count];
            for (int i = 0; i < count; i++) {
                long[] one = got.poll(5, TimeUnit.MINUTES);
                if (one == null) {
                    throw new IllegalStateException("event " + i + " never came");
                }
                nanos[i] = one[0];
            }
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                out.readLine();
            }
            child.waitFor();
            // The first tenth warms up both JVMs.
            long[] measured = Arrays.copyOfRange(nanos, count / 10, count);
            Arrays.sort(measured);
            System.out.printf("latency, change in one process to its event in another (%d events): median %.2f ms,"
                            + " p99 %.2f ms, max %.2f ms%n", measured.length, ms(percentile(measured, 50)),
                    ms(percentile(measured, 99)), ms(measured[measured.length - 1]));
        }
    }

    private static void child(Path config, int count) throws Exception {
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            Pool pool = storage.requirePool("latency");
            for (int i = 0; i < count; i++) {
                pool.createVolume(VolumeDefinition.builder("v" + i, 1).build());
                Thread.sleep(20);
            }
        }
        System.out.println("DONE");
    }

    private static void cost(Path dir, int creates) throws IOException {
        int rounds = 5;
        long[][] perCreate = new long[2][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int journal = 0; journal < 2; journal++) {
                Path here = dir.resolve("r" + round + "-" + journal);
                StorageConfig config = StorageConfig.ofDirectory(here.resolve("config"));
                if (journal == 0) {
                    config = config.withBackendOption("events.journal", "off");
                }
                try (Storage storage = Storage.open(config)) {
                    Pool pool = pool(storage, here, "cost");
                    for (int i = 0; i < 50; i++) {
                        pool.createVolume(VolumeDefinition.builder("warm" + i, 1L << 30).build());
                    }
                    long start = System.nanoTime();
                    for (int i = 0; i < creates; i++) {
                        pool.createVolume(VolumeDefinition.builder("v" + i, 1L << 30).build());
                    }
                    perCreate[journal][round] = (System.nanoTime() - start) / creates;
                }
            }
        }
        Arrays.sort(perCreate[0]);
        Arrays.sort(perCreate[1]);
        System.out.printf("createVolume (%d creates a round, %d rounds, median round): without journal %.1f µs,"
                        + " with journal %.1f µs (rounds %s / %s µs)%n", creates, rounds,
                perCreate[0][rounds / 2] / 1000.0, perCreate[1][rounds / 2] / 1000.0,
                Arrays.toString(Arrays.stream(perCreate[0]).map(n -> n / 1000).toArray()),
                Arrays.toString(Arrays.stream(perCreate[1]).map(n -> n / 1000).toArray()));
    }

    private static long percentile(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
