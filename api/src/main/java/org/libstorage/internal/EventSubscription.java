package org.libstorage.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.libstorage.StorageEvent;
import org.libstorage.StorageException;

/**
 * One subscriber's view of the journal, read on a virtual thread of its own: replay from the
 * asked sequence, then follow. Following waits on inotify (the JDK's {@link WatchService} on the
 * journal's directory: every append is a modification, every rotation a new file) with a
 * 250 ms timeout as a safety net, so an event reaches a subscriber in another process within
 * milliseconds and a missed notification costs at most a quarter second. Delivers no more than
 * requested; {@link #cancel} ends the thread promptly (it closes the watch service).
 */
final class EventSubscription implements Flow.Subscription {
    private static final System.Logger LOG = System.getLogger(EventSubscription.class.getName());
    private static final long SAFETY_POLL_MS = 250;

    private final Flow.Subscriber<? super StorageEvent> subscriber;
    private final Journal journal;
    private final long from;
    private final Runnable onEnd;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition demanded = lock.newCondition();
    // Guarded by lock.
    private long demand;
    private volatile boolean cancelled;
    private volatile WatchService watch;
    private Thread thread;

    EventSubscription(Flow.Subscriber<? super StorageEvent> subscriber, Journal journal, long from, Runnable onEnd) {
        this.subscriber = subscriber;
        this.journal = journal;
        this.from = from;
        this.onEnd = onEnd;
    }

    void start() {
        thread = Thread.ofVirtual().name("libstorage-events").start(this::run);
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            // Rule 3.9: a non-positive request is an error, signalled (by the reading thread) through onError.
            pendingError = new IllegalArgumentException("request(" + n + "): the number of events asked for must be"
                    + " positive");
            cancel();
            return;
        }
        lock.lock();
        try {
            demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            demanded.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
        lock.lock();
        try {
            demanded.signalAll();
        } finally {
            lock.unlock();
        }
        WatchService w = watch;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing the journal watch", e);
            }
        }
    }

    private volatile boolean ended;
    private volatile boolean closing;
    private volatile Throwable pendingError;

    private void error(Throwable t) {
        if (!ended) {
            ended = true;
            subscriber.onError(t);
        }
    }

    private void run() {
        try {
            subscriber.onSubscribe(this);
            if (cancelled) {
                return;
            }
            try (JournalCursor cursor = JournalCursor.at(journal, from);
                 WatchService w = FileSystems.getDefault().newWatchService()) {
                watch = w;
                Modes.createDirectories(journal.directory());
                journal.directory().register(w, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_CREATE);
                if (cancelled) {
                    return;
                }
                while (awaitDemand()) {
                    Optional<StorageEvent> event = cursor.next();
                    if (event.isPresent()) {
                        take();
                        subscriber.onNext(event.get());
                        continue;
                    }
                    // Nothing more for now: wait for the journal to change, then drain the notifications.
                    if (w.poll(SAFETY_POLL_MS, TimeUnit.MILLISECONDS) instanceof java.nio.file.WatchKey key) {
                        key.pollEvents();
                        key.reset();
                        for (java.nio.file.WatchKey more; (more = w.poll()) != null; ) {
                            more.pollEvents();
                            more.reset();
                        }
                    }
                }
            }
        } catch (ClosedWatchServiceException e) {
            // cancelled
        } catch (InterruptedException e) {
            // cancelled by closing the Storage
        } catch (StorageException e) {
            if (!cancelled) {
                error(e);
            }
        } catch (IOException e) {
            if (!cancelled) {
                error(Failures.io("the event journal", "event", "read the journal in " + journal.directory(), e));
            }
        } catch (RuntimeException | Error e) {
            // A subscriber that throws breaks rule 2.13; it is cancelled and the error logged.
            LOG.log(Level.WARNING, "an event subscriber failed; its subscription is cancelled", e);
            cancelled = true;
        } finally {
            cancel();
            if (pendingError != null) {
                error(pendingError);
            } else if (closing && !ended) {
                ended = true;
                subscriber.onComplete();
            }
            onEnd.run();
        }
    }

    private boolean awaitDemand() throws InterruptedException {
        lock.lock();
        try {
            while (demand == 0 && !cancelled) {
                demanded.await();
            }
            return !cancelled;
        } finally {
            lock.unlock();
        }
    }

    private void take() {
        lock.lock();
        try {
            if (demand != Long.MAX_VALUE) {
                demand--;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Ends the subscription because its Storage closed: the subscriber is told it is complete. */
    void complete() {
        if (!cancelled) {
            closing = true;
            cancel();
        }
    }
}
