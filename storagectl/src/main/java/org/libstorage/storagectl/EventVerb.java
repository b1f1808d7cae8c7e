package org.libstorage.storagectl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import org.libstorage.ErrorCode;
import org.libstorage.StorageEvent;
import org.libstorage.StorageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code storagectl event}: the host's storage events, one line each, as virsh's
 * {@code pool-event} prints them. Without {@code --loop} it prints one event and exits (the first
 * after {@code --since}, or the next one to happen); with it, every event until interrupted.
 */
@Command(name = "event", description = {
        "Prints storage events (pool, volume and job changes made by any process), one line each.",
        "Without --loop: prints one event (the first after --since SEQ, else the next one to happen) and exits;"
                + " with --loop: prints events until interrupted (Ctrl-C)."})
final class EventVerb extends Verb {
    @Option(names = "--pool", paramLabel = "POOL", description = "Only events of this pool (name or UUID).")
    String pool;

    @Option(names = "--since", paramLabel = "SEQ",
            description = "Replay the journal's events after sequence number SEQ first (0: every event it keeps).")
    Long since;

    @Option(names = "--loop", description = "Keep printing events until interrupted.")
    boolean loop;

    @Override
    void execute() throws Exception {
        if (since != null && since < 0) {
            throw usageError("--since takes a sequence number (0 or more), not " + since + ".");
        }
        long from = since == null ? StorageEvent.NEW : since == 0 ? StorageEvent.OLDEST : since + 1;
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        Flow.Subscription[] subscription = new Flow.Subscription[1];
        root.storage().events(from).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                queue.add(s);
            }

            @Override
            public void onNext(StorageEvent event) {
                queue.add(event);
            }

            @Override
            public void onError(Throwable t) {
                queue.add(t);
            }

            @Override
            public void onComplete() {
                queue.add(Boolean.TRUE);
            }
        });
        Json lines = root.json() ? new Json() : null; // --json: one JSON object a line
        try {
            while (true) {
                Object next = queue.take();
                switch (next) {
                    case Flow.Subscription s -> {
                        subscription[0] = s;
                        s.request(1); // one at a time: the journal waits while the terminal is slow
                    }
                    case StorageEvent event -> {
                        if (pool == null || pool.equals(event.pool()) || pool.equals(event.poolUuid().toString())) {
                            out().println(lines != null ? lines.line(node(lines, event)) : text(event));
                            out().flush();
                            if (!loop) {
                                return;
                            }
                        }
                        subscription[0].request(1);
                    }
                    case StorageException e -> throw e;
                    case Throwable t -> throw new StorageException(ErrorCode.IO_ERROR, "the event journal", "event",
                            "Reading the event journal failed: " + t.getMessage(), t);
                    default -> {
                        return; // the storage closed
                    }
                }
            }
        } catch (InterruptedException e) {
            // Ctrl-C or SIGTERM is how a follower ends: no error line (the exit status still says 130 or 143).
            Thread.currentThread().interrupt();
        } finally {
            if (subscription[0] != null) {
                subscription[0].cancel();
            }
        }
    }

    /** {@code #SEQ TIME pid PID pool 'NAME': OPERATION 'VOLUME' ...}. */
    static String text(StorageEvent event) {
        StringBuilder b = new StringBuilder().append('#').append(event.sequence()).append(' ').append(event.time())
                .append(" pid ").append(event.pid()).append(" pool '").append(event.pool()).append("': ")
                .append(event.operation());
        switch (event) {
            case StorageEvent.PoolEvent _ -> { }
            case StorageEvent.VolumeEvent v -> {
                b.append(" '").append(v.volume()).append('\'');
                v.source().ifPresent(s -> b.append(" from ").append(s));
            }
            case StorageEvent.JobEvent j -> {
                b.append(" '").append(j.volume()).append("' ").append(j.jobOperation()).append(" job ").append(j.job());
                j.percent().ifPresent(p -> b.append(' ').append(p).append('%'));
                j.error().ifPresent(c -> b.append(" error ").append(c));
            }
        }
        return b.toString();
    }

    static ObjectNode node(Json json, StorageEvent event) {
        ObjectNode node = json.object().put("sequence", event.sequence()).put("time", event.time().toString())
                .put("pid", event.pid()).put("pool", event.pool()).put("poolUuid", event.poolUuid().toString())
                .put("operation", event.operation());
        switch (event) {
            case StorageEvent.PoolEvent _ -> { }
            case StorageEvent.VolumeEvent v -> {
                node.put("volume", v.volume());
                v.key().ifPresent(k -> node.put("key", k));
                v.source().ifPresent(s -> node.put("source", s));
            }
            case StorageEvent.JobEvent j -> {
                node.put("volume", j.volume()).put("job", j.job()).put("jobOperation", j.jobOperation());
                j.percent().ifPresent(p -> node.put("percent", p));
                j.error().ifPresent(c -> node.put("error", c.name()));
            }
        }
        return node;
    }
}
