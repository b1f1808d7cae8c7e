package org.libstorage.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.StorageEvent;
import org.libstorage.StorageException;
import org.libstorage.spi.Job;

/**
 * Watches the directories of active dir and fs pools with inotify (the JDK's {@link WatchService},
 * which on Linux is inotify: {@code IN_CREATE}, {@code IN_DELETE}, {@code IN_MOVED_FROM/TO}) and
 * journals files that appear or disappear there by other means than libstorage, as
 * {@code volume-appeared} and {@code volume-disappeared}.
 *
 * <p>Runs while the Storage has event subscriptions. One process on the host watches a pool: the
 * one holding the {@code fcntl} lock {@code <events>/watch-<pool UUID>.lock} (taken without
 * waiting, retried every {@value #RECONCILE_MS} ms, so another takes over when the watcher dies;
 * changes made while no one watches are not reported).
 *
 * <p>Names touched are collected until the pool's directory has been quiet for
 * {@value #DEBOUNCE_MS} ms; then, under the pool's lock, only those names are looked at (a
 * {@code stat} each; no refresh of the pool). What libstorage itself did is known from the
 * journal, which every change writes under the same lock: the watcher reads it up to its end
 * first, so its own creates and deletes are never reported twice; a volume a job is creating
 * (claimed, not committed yet) is left to that job's event. libstorage's temporaries
 * ({@code .libstorage-tmp-*}) are ignored.
 */
final class PoolWatcher {
    private static final System.Logger LOG = System.getLogger(PoolWatcher.class.getName());
    static final long DEBOUNCE_MS = 200;
    static final long RECONCILE_MS = 1000;
    private static final String OPERATION = "event-watch";

    private final DefaultStorage storage;
    private final Journal journal;
    private final BooleanSupplier wanted;
    private final Map<String, Watched> watched = new HashMap<>();
    private final Map<WatchKey, Watched> byKey = new HashMap<>();
    private volatile boolean stopped;
    private volatile WatchService service;
    private Thread thread;

    PoolWatcher(DefaultStorage storage, Journal journal, BooleanSupplier wanted) {
        this.storage = storage;
        this.journal = journal;
        this.wanted = wanted;
    }

    /** One watched pool: its directory, the watch lock, the names it holds as libstorage knows them. */
    private static final class Watched {
        final String pool;
        final UUID uuid;
        final Path directory;
        final FileChannel lockChannel;
        final FileLock lock;
        WatchKey key;
        JournalCursor cursor;
        final Set<String> known = new HashSet<>();
        final Set<String> touched = new TreeSet<>();
        boolean overflow;
        long quietAfter;

        Watched(String pool, UUID uuid, Path directory, FileChannel lockChannel, FileLock lock) {
            this.pool = pool;
            this.uuid = uuid;
            this.directory = directory;
            this.lockChannel = lockChannel;
            this.lock = lock;
        }
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        stopped = false;
        thread = Thread.ofVirtual().name("libstorage-pool-watcher").start(this::run);
    }

    void stop() {
        stopped = true;
        WatchService s = service;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing the pool watch", e);
            }
        }
    }

    private void run() {
        try (WatchService s = FileSystems.getDefault().newWatchService()) {
            service = s;
            long nextReconcile = 0;
            while (!stopped && wanted.getAsBoolean()) {
                long now = System.nanoTime();
                if (now - nextReconcile >= 0) {
                    reconcile(s);
                    nextReconcile = now + TimeUnit.MILLISECONDS.toNanos(RECONCILE_MS);
                }
                WatchKey key = s.poll(DEBOUNCE_MS / 2, TimeUnit.MILLISECONDS);
                for (; key != null; key = s.poll()) {
                    Watched w = byKey.get(key);
                    for (WatchEvent<?> event : key.pollEvents()) {
                        if (w == null) {
                            continue;
                        }
                        if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                            w.overflow = true;
                        } else if (event.context() instanceof Path name
                                && !name.toString().startsWith(Job.TEMPORARY_PREFIX)) {
                            w.touched.add(name.toString());
                        }
                        w.quietAfter = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEBOUNCE_MS);
                    }
                    key.reset();
                }
                for (Watched w : watched.values()) {
                    if ((!w.touched.isEmpty() || w.overflow) && System.nanoTime() - w.quietAfter >= 0) {
                        settle(w);
                    }
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // stopped
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "the pool directory watcher stopped", e);
        } finally {
            for (Watched w : watched.values()) {
                release(w);
            }
            watched.clear();
            byKey.clear();
            service = null;
            synchronized (this) {
                thread = null;
                // A subscription that came while this thread was ending found it still there: start again.
                if (!stopped && wanted.getAsBoolean()) {
                    start();
                }
            }
        }
    }

    /** Watches the active dir and fs pools this process can watch; lets go of those no longer active. */
    private void reconcile(WatchService s) {
        Map<String, PoolDefinition> active = new HashMap<>();
        for (Registry.Stored stored : storage.registry().scan()) {
            PoolDefinition d = stored.definition();
            if ((d.type() == PoolType.DIR || d.type() == PoolType.FS) && d.targetPath().isPresent()) {
                try {
                    storage.registry().runState(d.name()).ifPresent(run -> active.put(d.name(), run.definition()));
                } catch (StorageException e) {
                    LOG.log(Level.DEBUG, "pool ''{0}'': {1}", d.name(), e.getMessage());
                }
            }
        }
        watched.values().removeIf(w -> {
            PoolDefinition d = active.get(w.pool);
            boolean gone = d == null || !d.uuid().map(w.uuid::equals).orElse(false) || !w.key.isValid();
            if (gone) {
                release(w);
            }
            return gone;
        });
        for (PoolDefinition d : active.values()) {
            if (!watched.containsKey(d.name())) {
                watch(s, d).ifPresent(w -> watched.put(d.name(), w));
            }
        }
    }

    private Optional<Watched> watch(WatchService s, PoolDefinition d) {
        UUID uuid = d.uuid().orElseThrow();
        Path lockFile = journal.directory().resolve("watch-" + uuid + ".lock");
        FileChannel channel = null;
        try {
            Modes.createDirectories(journal.directory());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // another Storage of this JVM watches it
            }
            if (lock == null) {
                channel.close();
                return Optional.empty();
            }
            Watched w = new Watched(d.name(), uuid, d.targetPath().orElseThrow(), channel, lock);
            channel = null;
            try (FileLocks.Held _ = storage.lockPool(d.name(), OPERATION)) {
                w.key = w.directory.register(s, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE);
                byKey.put(w.key, w);
                // What the directory holds now is known; from here on the journal says what libstorage does.
                w.cursor = JournalCursor.at(journal, StorageEvent.NEW);
                w.known.addAll(names(w.directory));
            } catch (IOException | RuntimeException e) {
                release(w);
                throw e;
            }
            LOG.log(Level.DEBUG, "watching pool ''{0}'' in {1}", d.name(), w.directory);
            storage.stageHook().reached(OPERATION, "watching " + d.name());
            return Optional.of(w);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "cannot watch pool ''{0}'': {1}", d.name(), e.toString());
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // nothing held
                }
            }
            return Optional.empty();
        }
    }

    /** After a quiet spell: reports what changed among the touched names, under the pool's lock. */
    private void settle(Watched w) {
        Set<String> names = new TreeSet<>(w.touched);
        w.touched.clear();
        try (FileLocks.Held _ = storage.lockPool(w.pool, OPERATION)) {
            catchUp(w);
            if (w.overflow) {
                w.overflow = false;
                names.addAll(w.known);
                names.addAll(names(w.directory));
            }
            Claims.Scan claims = storage.claims().scan(w.pool);
            boolean changed = false;
            for (String name : names) {
                boolean there = Files.isRegularFile(w.directory.resolve(name), LinkOption.NOFOLLOW_LINKS);
                if (there && !w.known.contains(name) && !claims.creating(name)) {
                    w.known.add(name);
                    event(w, StorageEvent.VolumeEvent.Kind.APPEARED, name);
                    changed = true;
                } else if (!there && w.known.contains(name)) {
                    w.known.remove(name);
                    event(w, StorageEvent.VolumeEvent.Kind.DISAPPEARED, name);
                    changed = true;
                }
            }
            if (changed) {
                storage.markChanged(w.pool); // other processes' listings are stale too
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "pool ''{0}'': cannot check the changes in {1}: {2}", w.pool, w.directory,
                    e.toString());
        }
    }

    private void event(Watched w, StorageEvent.VolumeEvent.Kind kind, String name) {
        storage.event(EventRecords.Draft.volume(kind, w.uuid, w.pool, name, w.directory.resolve(name).toString(),
                null));
    }

    /** Reads the journal to its end, learning the names libstorage made and removed in this pool. */
    private void catchUp(Watched w) throws IOException {
        for (Optional<StorageEvent> e = w.cursor.next(); e.isPresent(); e = w.cursor.next()) {
            if (e.get() instanceof StorageEvent.VolumeEvent v && v.poolUuid().equals(w.uuid)) {
                switch (v.kind()) {
                    case CREATED, CLONED, APPEARED -> w.known.add(v.volume());
                    case DELETED, DISAPPEARED -> w.known.remove(v.volume());
                    default -> { }
                }
            }
        }
    }

    private static Set<String> names(Path directory) throws IOException {
        Set<String> names = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.startsWith(Job.TEMPORARY_PREFIX) && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private void release(Watched w) {
        if (w.key != null) {
            w.key.cancel();
            byKey.remove(w.key);
        }
        if (w.cursor != null) {
            w.cursor.close();
        }
        try {
            w.lockChannel.close(); // drops the watch lock
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing a watch lock", e);
        }
    }
}
