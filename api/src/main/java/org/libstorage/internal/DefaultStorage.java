package org.libstorage.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.HostDevice;
import org.libstorage.Names;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StageHook;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.Jobs;
import org.libstorage.spi.HostDeviceProvider;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;
import org.libstorage.xml.PoolXml;

/**
 * The {@link Storage} implementation: the pool registry on disk ({@link Registry}), the
 * backends ({@link Backends}), locking ({@link FileLocks}) and pool and volume handles.
 *
 * <p>Lock order, which every path follows so that nothing deadlocks: the registry lock
 * before any pool lock, and pool locks in order of pool name. Definitions and run-state files
 * are only written under those locks and always by atomic rename, so reads need no lock.
 */
public final class DefaultStorage implements Storage {
    private static final System.Logger LOG = System.getLogger(DefaultStorage.class.getName());

    private final StorageConfig config;
    private final Layout layout;
    private final Registry registry;
    private final Claims claims;
    private final Backends backends;
    private final ConcurrentMap<String, PoolRuntime> runtimes = new ConcurrentHashMap<>();
    private final Journal journal;
    private final java.util.Set<EventSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final PoolWatcher watcher;
    /** {@code events.journal=off}: this Storage journals nothing (to measure what the journal costs). */
    private final boolean journalOff;
    private volatile boolean closed;

    private DefaultStorage(StorageConfig config, Backends backends) {
        this.config = config;
        this.layout = Layout.of(config);
        this.registry = new Registry(layout, config.stageHook());
        this.claims = new Claims(layout);
        // Every entry point of a backend sees the Storage's backend options, status checks too.
        this.backends = backends.withContexts(this::backendContext);
        this.journal = new Journal(layout.events(),
                option(config, "events.segment-bytes", Journal.DEFAULT_SEGMENT_BYTES),
                (int) option(config, "events.segments", Journal.DEFAULT_SEGMENTS));
        this.watcher = new PoolWatcher(this, journal, () -> !closed && !subscriptions.isEmpty());
        this.journalOff = "off".equals(config.backendOptions().get("events.journal"));
    }

    /** The context of a backend outside any pool: its own run-time directory (not made here), no jobs. */
    private BackendContext backendContext(PoolType type) {
        return new BackendContext(layout.backendState(type), config.secrets(), Jobs.NONE, config.backendOptions());
    }

    private static long option(StorageConfig config, String name, long fallback) {
        String value = config.backendOptions().get(name);
        if (value == null) {
            return fallback;
        }
        try {
            long parsed = Long.parseLong(value.strip());
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, "open",
                "The option " + name + " must be a positive whole number, not '" + value + "'.");
    }

    public static Storage open(StorageConfig config) {
        Objects.requireNonNull(config, "config");
        return open(config, Backends.load());
    }

    static DefaultStorage open(StorageConfig config, Backends backends) {
        DefaultStorage storage = new DefaultStorage(config, backends);
        LOG.log(Level.DEBUG, "opened storage: definitions in {0}, run state in {1}",
                storage.layout.definitions(), storage.layout.runState());
        return storage;
    }

    // ---- Storage ----

    @Override
    public List<Pool> pools() {
        ensureOpen("pool-list");
        return registry.scan().stream()
                .map(s -> (Pool) handle(s.definition()))
                .sorted(Comparator.comparing(Pool::name))
                .toList();
    }

    @Override
    public Optional<Pool> pool(String name) {
        String operation = "pool-lookup";
        ensureOpen(operation);
        validName("pool name", name, operation);
        if (tooLongToStore(name)) {
            return Optional.empty();
        }
        return registry.definition(name).map(s -> handle(s.definition()));
    }

    @Override
    public Pool requirePool(String name) {
        return pool(name).orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_POOL, Failures.pool(name),
                "pool-lookup", "No pool named '" + name + "' is defined."));
    }

    @Override
    public Optional<Pool> poolByUuid(UUID uuid) {
        ensureOpen("pool-lookup");
        if (uuid == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, "pool-lookup", "No pool UUID was given.");
        }
        return registry.scan().stream()
                .filter(s -> s.definition().uuid().map(uuid::equals).orElse(false))
                .findFirst()
                .map(s -> handle(s.definition()));
    }

    @Override
    public Optional<Pool> poolByTargetPath(Path path) {
        ensureOpen("pool-lookup");
        if (path == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, "pool-lookup", "No target path was given.");
        }
        PoolRuntime.ResolvedPath wanted = PoolRuntime.ResolvedPath.of(path);
        return registry.scan().stream()
                .filter(s -> s.definition().targetPath().map(t -> samePath(PoolRuntime.ResolvedPath.of(t), wanted))
                        .orElse(false))
                .sorted(Comparator.comparing(s -> s.definition().name()))
                .findFirst()
                .map(s -> handle(s.definition()));
    }

    private static boolean samePath(PoolRuntime.ResolvedPath a, PoolRuntime.ResolvedPath b) {
        return a.path().equals(b.path()) || (a.fileKey().isPresent() && a.fileKey().equals(b.fileKey()));
    }

    @Override
    public Pool definePool(PoolDefinition definition) {
        String operation = "pool-define";
        ensureOpen(operation);
        if (definition == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation, "No pool definition was given.");
        }
        String name = definition.name();
        String object = Failures.pool(name);
        Layout.requireStorableName(name, operation);
        PoolDefinition validated = backends.backend(definition.type())
                .map(backend -> validate(backend, definition, object, operation))
                .orElse(definition);
        PoolDefinition complete = validated.uuid().isPresent() ? validated : validated.withUuid(UUID.randomUUID());
        UUID uuid = complete.uuid().orElseThrow();
        // Serialize first: a definition that cannot be written as XML is refused before any lock or file.
        String xml;
        try {
            xml = PoolXml.write(complete, Optional.empty());
        } catch (StorageException e) {
            throw e.operation().isPresent() ? e : withOperation(e, operation);
        }
        LOG.log(Level.DEBUG, "{0} {1} (type {2}, uuid {3})", operation, object, complete.type(), uuid);

        try (FileLocks.Held _ = FileLocks.acquire(layout.registryLock(), object, operation)) {
            List<Registry.Stored> all = registry.scan();
            Optional<PoolDefinition> sameName = all.stream().map(Registry.Stored::definition)
                    .filter(d -> d.name().equals(name)).findFirst();
            Optional<PoolDefinition> sameUuid = all.stream().map(Registry.Stored::definition)
                    .filter(d -> !d.name().equals(name) && d.uuid().map(uuid::equals).orElse(false)).findFirst();
            if (sameUuid.isPresent()) {
                throw new StorageException(ErrorCode.POOL_EXISTS, object, operation,
                        "Pool '" + name + "' cannot be defined with UUID " + uuid + ": pool '" + sameUuid.get().name()
                                + "' already has that UUID.");
            }
            for (Registry.Stored stored : all) {
                PoolDefinition other = stored.definition();
                if (!other.name().equals(name)) {
                    Optional<String> shared = PoolConflicts.shared(complete, other);
                    if (shared.isPresent()) {
                        throw new StorageException(ErrorCode.POOL_EXISTS, object, operation,
                                "Pool '" + name + "' cannot be defined: " + shared.get() + " is already used by pool '"
                                        + other.name() + "'.");
                    }
                }
            }
            if (sameName.isPresent()) {
                UUID existing = sameName.get().uuid().orElse(null);
                if (!uuid.equals(existing)) {
                    throw new StorageException(ErrorCode.POOL_EXISTS, object, operation,
                            "A pool named '" + name + "' is already defined with UUID " + existing
                                    + "; give that UUID to redefine it, or choose another name.");
                }
            }
            try (FileLocks.Held _ = lockPool(name, operation)) {
                if (sameName.isPresent() && sameName.get().type() != complete.type()) {
                    Optional<Registry.Stored> live = activeState(name, operation);
                    if (live.isPresent()) {
                        throw new StorageException(ErrorCode.POOL_ACTIVE, object, operation,
                                "Pool '" + name + "' is active, so its type cannot change from "
                                        + sameName.get().type() + " to " + complete.type() + "; stop it first.");
                    }
                }
                registry.writeDefinition(xml, name, operation);
                event(EventRecords.Draft.pool(org.libstorage.StorageEvent.PoolEvent.Kind.DEFINED, uuid, name));
            }
        }
        LOG.log(Level.DEBUG, "{0} {1}: defined", operation, object);
        return handle(complete);
    }

    private static PoolDefinition validate(PoolBackend backend, PoolDefinition definition, String object,
                                           String operation) {
        PoolDefinition validated = Failures.driverCall(object, operation, () -> backend.validate(definition));
        if (validated == null || !validated.name().equals(definition.name())
                || validated.type() != definition.type()
                || (definition.uuid().isPresent() && !definition.uuid().equals(validated.uuid()))) {
            throw new StorageException(ErrorCode.INTERNAL_ERROR, object, operation,
                    "The " + definition.type() + " backend's validation changed the pool's name, type or UUID"
                            + " (or returned nothing), which backends must not do.");
        }
        return validated;
    }

    @Override
    public Pool definePoolXml(String xml) {
        String operation = "pool-define";
        ensureOpen(operation);
        if (xml == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation, "No pool XML was given.");
        }
        PoolDefinition definition;
        try {
            definition = PoolXml.parse(xml);
        } catch (StorageException e) {
            throw e.operation().isPresent() ? e : withOperation(e, operation);
        }
        return definePool(definition);
    }

    @Override
    public Optional<Volume> volumeByKey(String key) {
        String operation = "vol-lookup";
        ensureOpen(operation);
        if (key == null || key.isEmpty()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation, "The volume key is empty.");
        }
        return findVolume(operation, (runtime) -> runtime.volumeByKey(key));
    }

    @Override
    public Optional<Volume> volumeByPath(Path path) {
        String operation = "vol-lookup";
        ensureOpen(operation);
        if (path == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation, "No volume path was given.");
        }
        // The path as given names a volume whose path is spelled that way; only a path that
        // names none is resolved (symlinks, hard links: a realpath and a stat) and asked again.
        Path spelled = path.toAbsolutePath().normalize();
        Optional<Volume> found = findVolume(operation, runtime -> runtime.volumeBySpelledPath(spelled));
        if (found.isPresent()) {
            return found;
        }
        PoolRuntime.ResolvedPath wanted = PoolRuntime.ResolvedPath.of(path);
        return findVolume(operation, runtime -> runtime.volumeByPath(wanted, path));
    }

    private Optional<Volume> findVolume(String operation,
                                        Function<PoolRuntime, Optional<org.libstorage.VolumeDefinition>> finder) {
        for (Pool pool : pools()) {
            try {
                Optional<Volume> found = ((PoolHandle) pool).findVolume(operation, finder);
                if (found.isPresent()) {
                    return found;
                }
            } catch (StorageException e) {
                // One broken or vanished pool must not hide the volumes of the others.
                LOG.log(Level.DEBUG, "{0}: skipping pool ''{1}'': {2}", operation, pool.name(), e.getMessage());
            }
        }
        return Optional.empty();
    }

    @Override
    public List<HostDevice> hostDevices() {
        String operation = "nodedev-list";
        ensureOpen(operation);
        List<HostDevice> devices = new ArrayList<>();
        for (HostDeviceProvider provider : backends.deviceProviders()) {
            List<HostDevice> found = Failures.driverCall("host devices", operation, provider::hostDevices);
            if (found != null) {
                devices.addAll(found);
            }
        }
        return List.copyOf(devices);
    }

    @Override
    public List<PoolSource> findPoolSources(PoolType type, Optional<PoolSource> hint) {
        String operation = "find-storage-pool-sources";
        ensureOpen(operation);
        if (type == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation, "No pool type was given.");
        }
        Optional<PoolSource> given = hint == null ? Optional.empty() : hint;
        PoolBackend backend = backends.requireAvailable(type, null, operation);
        LOG.log(Level.DEBUG, "{0} for type {1}", operation, type);
        BackendContext context = backendContext(type);
        try {
            Modes.createDirectories(context.stateDir());
        } catch (IOException e) {
            throw Failures.io("pool type " + type, operation, "create the run-time directory " + context.stateDir(), e);
        }
        List<PoolSource> sources = Failures.driverCall("pool type " + type, operation,
                () -> backend.findPoolSources(given, context));
        return sources == null ? List.of() : List.copyOf(sources);
    }

    @Override
    public List<BackendStatus> backends() {
        ensureOpen("pool-capabilities");
        return Arrays.stream(PoolType.values()).map(backends::status).toList();
    }

    @Override
    public List<Pool> startAutostartPools() {
        String operation = "pool-autostart";
        ensureOpen(operation);
        List<Pool> started = new ArrayList<>();
        for (Pool pool : pools()) {
            try {
                if (pool.isAutostart() && !pool.isActive()) {
                    pool.start();
                    started.add(pool);
                }
            } catch (StorageException e) {
                // Like libvirt at boot: one pool failing to start must not keep the others down.
                LOG.log(Level.WARNING, "cannot autostart pool ''{0}'': {1}", pool.name(), e.getMessage());
            }
        }
        return List.copyOf(started);
    }

    @Override
    public java.util.concurrent.Flow.Publisher<org.libstorage.StorageEvent> events(long fromSequence) {
        ensureOpen("event");
        // Check now, so a sequence the journal no longer keeps fails here, precisely, not only later.
        JournalCursor.at(journal, fromSequence).close();
        return subscriber -> {
            Objects.requireNonNull(subscriber, "subscriber");
            EventSubscription[] self = new EventSubscription[1];
            self[0] = new EventSubscription(subscriber, journal, fromSequence, () -> subscriptions.remove(self[0]));
            subscriptions.add(self[0]);
            if (closed) {
                self[0].complete();
            }
            self[0].start();
            if (!closed && !"off".equals(config.backendOptions().get("events.watch"))) {
                watcher.start(); // while anyone listens, files put into pools by other means are events too
            }
        };
    }

    /**
     * Appends a change to the event journal. The change is made by then, so a journal that cannot
     * be written must not turn it into a failure: the event is lost, and the log says so.
     */
    void event(EventRecords.Draft draft) {
        if (journalOff) {
            return;
        }
        try {
            journal.append(draft);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot append the event " + draft.operation() + " of pool '" + draft.pool()
                    + "' to the event journal in " + journal.directory() + "; subscribers will not see it", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (EventSubscription subscription : subscriptions) {
            subscription.complete();
        }
        watcher.stop();
        for (PoolRuntime runtime : runtimes.values()) {
            runtime.close();
        }
        journal.close();
    }

    @Override
    public String toString() {
        return "Storage[" + config.configDir() + ", " + config.runDir() + "]";
    }

    // ---- for the handles ----

    void ensureOpen(String operation) {
        if (closed) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation,
                    "This Storage has been closed; open a new one.");
        }
    }

    Registry registry() {
        return registry;
    }

    Claims claims() {
        return claims;
    }

    StageHook stageHook() {
        return config.stageHook();
    }

    /**
     * The stamp of pool {@code name}'s {@code changes} file: it moves whenever a process changes
     * the pool's volumes, so a listing cached here is stale when it differs from the one taken
     * with it. Empty when nothing changed since boot.
     */
    Optional<Registry.Stamp> changes(String name) {
        try {
            return Registry.Stamp.of(layout.changes(name));
        } catch (IOException e) {
            throw Failures.io(Failures.pool(name), null, "read " + layout.changes(name), e);
        }
    }

    /** Moves pool {@code name}'s {@code changes} stamp; returns the new one. Call under the pool lock. */
    Optional<Registry.Stamp> markChanged(String name) {
        Path file = layout.changes(name);
        try {
            Optional<Registry.Stamp> before = Registry.Stamp.of(file);
            if (before.isEmpty()) {
                Modes.createDirectories(file.getParent());
                Files.deleteIfExists(file); // not a regular file: replaced
                Modes.createFile(file);
            }
            // An explicit time, always later than the last one: the file system's own clock may be too coarse.
            java.time.Instant now = java.time.Instant.now();
            java.time.Instant last = before.map(s -> s.modified().toInstant()).orElse(java.time.Instant.EPOCH);
            java.time.Instant next = now.isAfter(last) ? now : last.plusNanos(1000);
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(next));
            return Registry.Stamp.of(file);
        } catch (IOException e) {
            throw Failures.io(Failures.pool(name), null, "update " + file, e);
        }
    }

    Backends backendRegistry() {
        return backends;
    }

    PoolRuntime runtime(String name) {
        return runtimes.computeIfAbsent(name, n -> new PoolRuntime());
    }

    void forget(String name) {
        PoolRuntime runtime = runtimes.remove(name);
        if (runtime != null) {
            runtime.close();
        }
    }

    PoolHandle handle(PoolDefinition definition) {
        return new PoolHandle(this, definition.name(), definition.uuid().orElseThrow());
    }

    FileLocks.Held lockPool(String name, String operation) {
        return FileLocks.acquire(layout.poolLock(name), Failures.pool(name), operation);
    }

    /** This process's side of pool {@code name}'s lock only; see {@link FileLocks#acquireInProcess}. */
    FileLocks.Held lockPoolInProcess(String name, String operation) {
        return FileLocks.acquireInProcess(layout.poolLock(name), Failures.pool(name), operation);
    }

    FileLocks.Held lockRegistry(String object, String operation) {
        return FileLocks.acquire(layout.registryLock(), object, operation);
    }

    /**
     * The run state of pool {@code name} if it is active: marked active in the run directory and,
     * where its backend can tell, really active on the system. A pool whose storage went away
     * (an unmounted filesystem, a removed directory) loses its mark here. Call under the pool lock.
     */
    Optional<Registry.Stored> activeState(String name, String operation) {
        Optional<Registry.Stored> run = registry.runState(name);
        PoolRuntime runtime = runtime(name);
        if (run.isEmpty()) {
            runtime.clearContents();
            return Optional.empty();
        }
        PoolDefinition live = run.get().definition();
        Optional<PoolBackend> backend = backends.backend(live.type()).filter(b -> backends.status(live.type()).available());
        if (backend.isEmpty()) {
            return run; // Nothing can ask the system; the mark is all we know.
        }
        if (runtime.probed(run.get().stamp())) {
            return run; // The backend said so for this activation; refresh and state changes ask again.
        }
        PoolDriver driver = driver(runtime, backend.get(), live, operation);
        boolean reallyActive = Failures.driverCall(Failures.pool(name), operation, driver::isActive);
        if (reallyActive) {
            runtime.setProbed(run.get().stamp());
        } else {
            LOG.log(Level.INFO, "pool ''{0}'' was marked active but its storage is not there any more;"
                    + " marking it inactive", name);
            registry.deleteRunState(name, operation);
            runtime.clearContents();
            return Optional.empty();
        }
        if (!runtime.sameActivation(run.get().stamp())) {
            runtime.clearContents();
        }
        return run;
    }

    /** The driver for {@code definition}, opened once per definition. Call under the pool lock. */
    PoolDriver driver(PoolRuntime runtime, PoolBackend backend, PoolDefinition definition, String operation) {
        Optional<PoolDriver> open = runtime.driverFor(definition);
        if (open.isPresent()) {
            return open.get();
        }
        String object = Failures.pool(definition.name());
        Path stateDir = layout.driverState(definition.name());
        try {
            Modes.createDirectories(stateDir);
        } catch (IOException e) {
            throw Failures.io(object, operation, "create the run-time directory " + stateDir, e);
        }
        BackendContext context = new BackendContext(stateDir, config.secrets(),
                new PoolJobs(definition.name(), this), config.backendOptions());
        PoolDriver driver = Failures.driverCall(object, operation, () -> backend.open(definition, context));
        if (driver == null) {
            throw new StorageException(ErrorCode.INTERNAL_ERROR, object, operation,
                    "The " + definition.type() + " backend returned no driver for pool '" + definition.name() + "'.");
        }
        runtime.setDriver(definition, driver);
        return driver;
    }

    Layout layout() {
        return layout;
    }

    /** Checks a name, reporting the operation it was given to. */
    static String validName(String what, String name, String operation) {
        try {
            return Names.requireValid(what, name);
        } catch (StorageException e) {
            throw withOperation(e, operation);
        }
    }

    private static boolean tooLongToStore(String name) {
        return name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Layout.MAX_POOL_NAME_BYTES;
    }

    /** The same error with {@code operation} filled in, for errors raised where no operation was known. */
    static StorageException withOperation(StorageException e, String operation) {
        StorageException named = new StorageException(e.code(), e.object().orElse(null), operation, e.getMessage(),
                e.getCause());
        named.setStackTrace(e.getStackTrace());
        return named;
    }
}
