package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.internal.StorageTestSupport.assertFails;
import static org.libstorage.internal.StorageTestSupport.dirPool;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.ProgressListener;
import org.libstorage.ResizeOption;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageEvent;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;

/** The event journal: every change once, in order, across processes, crashes and rotation. */
class EventsTest {
    /** Bounds a wait so a broken build fails instead of hanging; never a measure of speed. */
    private static final long HANG_GUARD_MINUTES = 5;

    @TempDir
    Path dir;
    private Storage storage;
    private final List<Process> children = new ArrayList<>();

    @BeforeEach
    void open() {
        storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")));
    }

    @AfterEach
    void close() {
        children.forEach(Process::destroyForcibly);
        storage.close();
    }

    /** A subscriber that asks for {@code batch} events at a time and queues what it gets. */
    static final class Collector implements Flow.Subscriber<StorageEvent> {
        final BlockingQueue<StorageEvent> events = new LinkedBlockingQueue<>();
        final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        volatile Flow.Subscription subscription;
        private final long initial;

        Collector(long initial) {
            this.initial = initial;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(initial);
        }

        @Override
        public void onNext(StorageEvent event) {
            events.add(event);
        }

        @Override
        public void onError(Throwable t) {
            errors.add(t);
        }

        @Override
        public void onComplete() {
        }

        StorageEvent next() throws InterruptedException {
            StorageEvent event = events.poll(HANG_GUARD_MINUTES, TimeUnit.MINUTES);
            assertNotNull(event, "no event came");
            return event;
        }

        List<StorageEvent> next(int count) throws InterruptedException {
            List<StorageEvent> got = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                got.add(next());
            }
            return got;
        }
    }

    private Pool startedPool(String name) {
        Pool pool = storage.definePool(dirPool(name, dir.resolve(name)));
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        return pool;
    }

    @Test
    void everyKindOfChangeIsJournalledInOrderWithItsDetails() throws Exception {
        Collector collector = new Collector(Long.MAX_VALUE);
        storage.events(StorageEvent.NEW).subscribe(collector);
        Pool pool = startedPool("images");
        Volume disk = pool.createVolume(VolumeDefinition.builder("disk.img", 4096).build());
        disk.resize(8192);
        Volume copy = pool.createVolumeFrom(VolumeDefinition.builder("copy.img", 8192).build(), disk,
                ProgressListener.NONE);
        try (WritableByteChannel out = copy.upload(0, 4)) {
            out.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
        }
        copy.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE);
        disk.delete();
        pool.setAutostart(true);
        pool.refresh();
        pool.stop();
        pool.undefine();

        List<String> expected = List.of("pool-defined", "pool-built", "pool-started", "volume-created",
                "volume-resized", "job-started", "volume-cloned", "job-finished", "volume-uploaded", "job-started",
                "volume-wiped", "job-finished", "volume-deleted", "pool-autostart-enabled", "pool-refreshed",
                "pool-stopped", "pool-undefined");
        List<StorageEvent> got = new ArrayList<>();
        while (got.size() < expected.size()) {
            StorageEvent e = collector.next();
            if (!(e instanceof StorageEvent.JobEvent j && j.kind() == StorageEvent.JobEvent.Kind.PROGRESSED)) {
                got.add(e);
            }
        }
        assertEquals(expected, got.stream().map(StorageEvent::operation).toList());
        long pid = ProcessHandle.current().pid();
        for (StorageEvent e : got) {
            assertEquals("images", e.pool());
            assertEquals(pool.uuid(), e.poolUuid());
            assertEquals(pid, e.pid());
        }
        StorageEvent.VolumeEvent cloned = (StorageEvent.VolumeEvent) got.get(6);
        assertEquals("copy.img", cloned.volume());
        assertEquals(Optional.of(disk.key()), cloned.source());
        assertEquals(Optional.of(copy.key()), cloned.key());
        StorageEvent.JobEvent started = (StorageEvent.JobEvent) got.get(5);
        assertEquals("copy.img", started.volume());
        assertEquals("vol-create-from", started.jobOperation());
        assertEquals(started.job(), ((StorageEvent.JobEvent) got.get(7)).job());
        for (int i = 1; i < got.size(); i++) {
            assertTrue(got.get(i).sequence() > got.get(i - 1).sequence());
            assertFalse(got.get(i).time().isBefore(got.get(i - 1).time()));
        }
    }

    @Test
    void aFailedJobCarriesItsErrorCode() throws Exception {
        Pool pool = startedPool("fails");
        Collector collector = new Collector(Long.MAX_VALUE);
        storage.events(StorageEvent.NEW).subscribe(collector);
        // The fake driver fails a create named 'anonymous-failure' with NO_SPACE; with an allocation it is a job.
        assertFails(ErrorCode.NO_SPACE, () -> pool.createVolume(
                VolumeDefinition.builder("anonymous-failure", 4096).allocation(4096).build()));
        StorageEvent.JobEvent startedJob = assertInstanceOf(StorageEvent.JobEvent.class, collector.next());
        StorageEvent.JobEvent failed = assertInstanceOf(StorageEvent.JobEvent.class, collector.next());
        assertEquals(StorageEvent.JobEvent.Kind.STARTED, startedJob.kind());
        assertEquals(StorageEvent.JobEvent.Kind.FAILED, failed.kind());
        assertEquals(Optional.of(ErrorCode.NO_SPACE), failed.error());
        assertEquals(startedJob.sequence() + 1, failed.sequence());
    }

    @Test
    void aThousandChangesFromOtherProcessesArriveExactlyOnceInSequenceOrder() throws Exception {
        startedPool("shared");
        Collector collector = new Collector(Long.MAX_VALUE);
        storage.events(StorageEvent.NEW).subscribe(collector);
        int processes = 4;
        int each = 250;
        List<BufferedReader> outputs = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            outputs.add(child("create", "shared", "p" + p, String.valueOf(each)));
        }
        Set<String> expected = new HashSet<>();
        for (int p = 0; p < processes; p++) {
            for (int i = 0; i < each; i++) {
                expected.add("p" + p + "-" + i);
            }
        }
        List<StorageEvent> got = collector.next(processes * each);
        for (BufferedReader out : outputs) {
            assertEquals("DONE", out.readLine());
        }
        Set<String> names = new HashSet<>();
        Set<Long> pids = new HashSet<>();
        for (int i = 0; i < got.size(); i++) {
            StorageEvent.VolumeEvent e = assertInstanceOf(StorageEvent.VolumeEvent.class, got.get(i));
            assertEquals(StorageEvent.VolumeEvent.Kind.CREATED, e.kind());
            assertTrue(names.add(e.volume()), "twice: " + e.volume());
            pids.add(e.pid());
            if (i > 0) {
                assertEquals(got.get(i - 1).sequence() + 1, e.sequence(), "sequence numbers have no gaps");
            }
        }
        assertEquals(expected, names);
        assertEquals(processes, pids.size());
        assertFalse(pids.contains(ProcessHandle.current().pid()));
        assertTrue(collector.events.isEmpty());
    }

    @Test
    void aSubscriberKilledAndResumedFromItsLastSequenceMissesNothing() throws Exception {
        Pool pool = startedPool("resume");
        long first = lastSequence() + 1;
        for (int i = 0; i < 40; i++) {
            pool.createVolume(VolumeDefinition.builder("a-" + i, 1).build());
        }
        BufferedReader follower = child("follow", String.valueOf(first));
        assertEquals("SUBSCRIBED", follower.readLine());
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            seen.add(follower.readLine());
        }
        children.getLast().destroyForcibly().waitFor();
        for (int i = 0; i < 40; i++) {
            pool.createVolume(VolumeDefinition.builder("b-" + i, 1).build());
        }
        long last = Long.parseLong(seen.getLast().split(" ")[0]);
        BufferedReader resumed = child("follow", String.valueOf(last + 1));
        assertEquals("SUBSCRIBED", resumed.readLine());
        for (int i = 0; i < 80 - 25; i++) {
            seen.add(resumed.readLine());
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            expected.add((first + i) + " volume-created " + (i < 40 ? "a-" + i : "b-" + (i - 40)));
        }
        assertEquals(expected, seen);
    }

    @Test
    void aJournalRotatedPastASlowSubscriberGivesThePreciseError() throws Exception {
        storage.close();
        storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config"))
                .withBackendOption("events.segment-bytes", "2048")
                .withBackendOption("events.segments", "2"));
        Pool pool = startedPool("small");
        Collector slow = new Collector(1);
        storage.events(StorageEvent.OLDEST).subscribe(slow);
        assertEquals("pool-defined", slow.next().operation());
        for (int i = 0; i < 100; i++) {
            pool.createVolume(VolumeDefinition.builder("v-" + i, 1).build());
        }
        long oldest = Journal.segments(dir.resolve("config/run/storage/events")).getFirst().first();
        assertTrue(oldest > 10, "the journal rotated: oldest kept is " + oldest);
        slow.subscription.request(Long.MAX_VALUE);
        Throwable error = slow.errors.poll(HANG_GUARD_MINUTES, TimeUnit.MINUTES);
        StorageException e = assertInstanceOf(StorageException.class, error);
        assertEquals(ErrorCode.EVENTS_EXPIRED, e.code());
        assertTrue(e.getMessage().contains("oldest event the journal keeps is "), e.getMessage());
        // What it did get stops before the gap, without skipping.
        List<StorageEvent> got = new ArrayList<>(slow.events);
        for (int i = 0; i < got.size(); i++) {
            assertEquals(2 + i, got.get(i).sequence());
        }

        StorageException now = assertFails(ErrorCode.EVENTS_EXPIRED, () -> storage.events(1),
                "Event 1 is no longer kept", "the oldest event the journal keeps is " + oldest);
        assertEquals(ErrorCode.Category.NOT_FOUND, now.code().category());
        Collector fromOldest = new Collector(Long.MAX_VALUE);
        storage.events(oldest).subscribe(fromOldest);
        assertEquals(oldest, fromOldest.next().sequence());
        assertFails(ErrorCode.INVALID_ARGUMENT, () -> storage.events(lastSequence() + 2), "has not happened");
    }

    @Test
    void aWriterKilledMidAppendLeavesAJournalEveryReaderReads() throws Exception {
        Pool pool = startedPool("torn");
        pool.createVolume(VolumeDefinition.builder("before", 1).build());
        long before = lastSequence();
        Path events = dir.resolve("config/run/storage/events");
        Path segment = Journal.segments(events).getLast().path();
        // What a writer killed in the middle of its write leaves: part of a record, no newline.
        byte[] record = EventRecords.encode(before + 1, Instant.now(), 1, EventRecords.Draft.volume(
                StorageEvent.VolumeEvent.Kind.CREATED, pool.uuid(), "torn", "ghost", null, null));
        append(segment, Arrays.copyOf(record, record.length / 2));
        // Another process appends next.
        BufferedReader out = child("create", "torn", "after", "3");
        assertEquals("DONE", out.readLine());
        assertEquals(before + 3, lastSequence(), "the torn record's number went to the next record");

        Collector reader = new Collector(Long.MAX_VALUE);
        storage.events(before).subscribe(reader);
        List<StorageEvent> got = reader.next(4);
        assertEquals(List.of("before", "after-0", "after-1", "after-2"),
                got.stream().map(e -> ((StorageEvent.VolumeEvent) e).volume()).toList());
        assertEquals(List.of(before, before + 1, before + 2, before + 3),
                got.stream().map(StorageEvent::sequence).toList());

        // A record written whole but for its newline counts: the next writer ends it.
        byte[] whole = EventRecords.encode(before + 4, Instant.now(), 1, EventRecords.Draft.volume(
                StorageEvent.VolumeEvent.Kind.APPEARED, pool.uuid(), "torn", "almost", null, null));
        append(segment, Arrays.copyOf(whole, whole.length - 1));
        pool.createVolume(VolumeDefinition.builder("last", 1).build());
        assertEquals(List.of("almost", "last"),
                reader.next(2).stream().map(e -> ((StorageEvent.VolumeEvent) e).volume()).toList());
        assertEquals(before + 5, lastSequence());
    }

    @Test
    void writersKilledWhileAppendingLeaveAJournalReadInFullWithoutGaps() throws Exception {
        startedPool("killed");
        Collector live = new Collector(Long.MAX_VALUE);
        storage.events(StorageEvent.NEW).subscribe(live);
        for (int round = 0; round < 3; round++) {
            child("create", "killed", "r" + round, "1000000");
            Process writer = children.getLast();
            // Let it append a while, then kill it wherever it is (perhaps inside its write).
            for (int seen = 0; seen < 50; ) {
                if (live.next().pid() == writer.pid()) {
                    seen++;
                }
            }
            writer.destroyForcibly().waitFor();
        }
        assertEquals("DONE", child("create", "killed", "after", "5").readLine());

        Collector reader = new Collector(Long.MAX_VALUE);
        storage.events(StorageEvent.OLDEST).subscribe(reader);
        long last = lastSequence();
        List<StorageEvent> all = reader.next((int) last);
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i + 1, all.get(i).sequence(), "every number once, in order");
        }
        assertEquals(List.of("after-0", "after-1", "after-2", "after-3", "after-4"), all.subList(all.size() - 5,
                all.size()).stream().map(e -> ((StorageEvent.VolumeEvent) e).volume()).toList());
    }

    @Test
    void recordsKeepAnyNameAndRejectDamage() {
        UUID uuid = UUID.randomUUID();
        String odd = "a b%c=d\u00e9\u4e2d\u0001\n";
        byte[] line = EventRecords.encode(7, Instant.parse("2026-11-29T00:00:00.123456Z"), 42,
                EventRecords.Draft.volume(StorageEvent.VolumeEvent.Kind.CLONED, uuid, "p o", odd, "/k ey", "s=1"));
        assertEquals('\n', line[line.length - 1]);
        assertEquals(1, IntStream.range(0, line.length).filter(i -> line[i] == '\n').count());
        StorageEvent.VolumeEvent e = (StorageEvent.VolumeEvent) EventRecords.decode(line, 0, line.length - 1)
                .orElseThrow();
        assertEquals(new StorageEvent.VolumeEvent(7, Instant.parse("2026-11-29T00:00:00.123456Z"), 42, uuid, "p o",
                odd, Optional.of("/k ey"), StorageEvent.VolumeEvent.Kind.CLONED, Optional.of("s=1")), e);
        for (int cut = 0; cut < line.length - 1; cut++) {
            assertTrue(EventRecords.decode(line, 0, cut).isEmpty(), "a record cut at " + cut + " is not one");
        }
        byte[] flipped = line.clone();
        flipped[20] ^= 1;
        assertTrue(EventRecords.decode(flipped, 0, line.length - 1).isEmpty());
    }

    @Test
    void cancellingStopsDeliveryAndClosingTheStorageCompletes() throws Exception {
        Pool pool = startedPool("cancel");
        Collector collector = new Collector(1);
        storage.events(StorageEvent.OLDEST).subscribe(collector);
        assertEquals("pool-defined", collector.next().operation());
        collector.subscription.cancel();
        pool.createVolume(VolumeDefinition.builder("unseen", 1).build());
        collector.subscription.request(10);
        // The next subscription sees it; the cancelled one got nothing more.
        Collector other = new Collector(Long.MAX_VALUE);
        storage.events(StorageEvent.OLDEST).subscribe(other);
        assertEquals(4, other.next(4).size());
        assertTrue(collector.events.isEmpty());
    }

    @Test
    void filesPutIntoAndTakenFromAPoolDirectoryByOtherMeansAreEvents() throws Exception {
        java.util.concurrent.CountDownLatch watching = new java.util.concurrent.CountDownLatch(1);
        storage.close();
        storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")).withStageHook((operation, stage) -> {
            if (stage.equals("watching watched")) {
                watching.countDown();
            }
        }));
        Pool pool = startedPool("watched");
        Path directory = dir.resolve("watched");
        Collector collector = new Collector(Long.MAX_VALUE);
        storage.events(StorageEvent.NEW).subscribe(collector);
        // The watcher starts with the first subscription and says when it watches the pool.
        assertTrue(watching.await(HANG_GUARD_MINUTES, TimeUnit.MINUTES), "the pool is never watched");
        Files.write(directory.resolve("first.img"), new byte[] {1});
        StorageEvent.VolumeEvent first = assertInstanceOf(StorageEvent.VolumeEvent.class, collector.next());
        assertEquals(StorageEvent.VolumeEvent.Kind.APPEARED, first.kind());
        assertEquals("first.img", first.volume());
        assertEquals(pool.uuid(), first.poolUuid());

        // libstorage's own changes and temporaries are not reported again; 30 copied-in files each are, once.
        pool.createVolume(VolumeDefinition.builder("made.img", 1).build());
        Files.write(directory.resolve(".libstorage-tmp-0123"), new byte[] {1});
        for (int i = 0; i < 30; i++) {
            Files.write(directory.resolve("copied-" + i + ".img"), new byte[] {1});
        }
        assertEquals("volume-created made.img", describe(collector.next()));
        Set<String> appeared = new HashSet<>();
        for (StorageEvent e : collector.next(30)) {
            StorageEvent.VolumeEvent v = (StorageEvent.VolumeEvent) e;
            assertEquals(StorageEvent.VolumeEvent.Kind.APPEARED, v.kind(), describe(e));
            assertTrue(appeared.add(v.volume()));
        }
        assertEquals(IntStream.range(0, 30).mapToObj(i -> "copied-" + i + ".img").collect(
                java.util.stream.Collectors.toSet()), appeared);

        Files.delete(directory.resolve("first.img"));
        pool.requireVolume("made.img").delete();
        assertEquals("volume-deleted made.img", describe(collector.next()));
        assertEquals("volume-disappeared first.img", describe(collector.next()));
        // Other processes learn the listing changed: the new file is a volume without a refresh.
        assertTrue(pool.volume("copied-7.img").isPresent());
        assertTrue(pool.volume("first.img").isEmpty());
    }

    private static String describe(StorageEvent e) {
        return e.operation() + (e instanceof StorageEvent.VolumeEvent v ? " " + v.volume() : "");
    }

    private long lastSequence() throws Exception {
        Path events = dir.resolve("config/run/storage/events");
        Journal.Segment newest = Journal.segments(events).getLast();
        try (FileChannel c = FileChannel.open(newest.path(), StandardOpenOption.READ)) {
            return Journal.lastRecord(c, c.size()).map(StorageEvent::sequence).orElse(newest.first() - 1);
        }
    }

    private static void append(Path file, byte[] bytes) throws Exception {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            c.write(ByteBuffer.wrap(bytes));
        }
    }

    private BufferedReader child(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                EventsChild.class.getName(), args[0], dir.resolve("config").toString()));
        command.addAll(Arrays.asList(args).subList(1, args.length));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }
}
