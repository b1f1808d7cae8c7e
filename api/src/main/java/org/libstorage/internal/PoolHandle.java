package org.libstorage.internal;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolStatus;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.StageHook;
import org.libstorage.StorageEvent;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;
import org.libstorage.xml.PoolXml;

/**
 * A handle on a defined pool, naming it by name and UUID: it stays valid while a pool with that
 * name and UUID is defined (in this process or another), and gives {@link ErrorCode#NO_SUCH_POOL}
 * after. Every operation decides under the pool's lock and re-reads the pool's files first.
 *
 * <p>Operations that move data are jobs: under the lock they check the volume is free and record
 * a claim on it ({@link Claims}); they let go of the lock while the data moves, so listings and
 * other volumes' operations go on; then they take the lock again to commit. A new volume is
 * claimed as being created under its name from the first moment, so it is never listed before
 * its job commits, and what a job that died left is cleaned up by the next operation that looks
 * at the pool's claims (every change, and every refresh).
 *
 * <p>While a pool is active, its driver works from the definition it was started with (kept in
 * the run directory); a redefinition takes effect at the next start, as in libvirt.
 */
final class PoolHandle implements Pool {
    private static final System.Logger LOG = System.getLogger(PoolHandle.class.getName());

    private final DefaultStorage storage;
    private final String name;
    private final UUID uuid;
    private final String object;

    PoolHandle(DefaultStorage storage, String name, UUID uuid) {
        this.storage = storage;
        this.name = name;
        this.uuid = uuid;
        this.object = Failures.pool(name);
    }

    /** What an operation sees once it holds the lock. */
    private record State(PoolDefinition persistent, Optional<Registry.Stored> live, PoolRuntime runtime) {
        boolean active() {
            return live.isPresent();
        }

        /** The definition in force: the one started with when active, the persistent one otherwise. */
        PoolDefinition current() {
            return live.map(Registry.Stored::definition).orElse(persistent);
        }
    }

    @FunctionalInterface
    private interface Body<T> {
        T run(State state);
    }

    <T> T locked(String operation, Body<T> body) {
        storage.ensureOpen(operation);
        LOG.log(Level.DEBUG, "{0} {1}", operation, object);
        try (FileLocks.Held _ = storage.lockPool(name, operation)) {
            return body.run(state(operation));
        }
    }

    /**
     * Answers a read from this process's listing of the pool without the lock other processes
     * share, when that listing is provably current: the pool is still this one, in the activation
     * the backend confirmed, and no process marked a change to its volumes since the listing was
     * taken. Writers change a pool before they move those stamps, so a read answered here sees the
     * pool as it was before any change still in progress, as if it had come just before it. Empty
     * when the read must take the lock (to list the pool again, or to learn that it stopped).
     */
    private <T> Optional<T> readCurrent(String operation, java.util.function.Function<PoolRuntime, T> read) {
        storage.ensureOpen(operation);
        try (FileLocks.Held _ = storage.lockPoolInProcess(name, operation)) {
            boolean same = storage.registry().definition(name)
                    .flatMap(stored -> stored.definition().uuid()).map(uuid::equals).orElse(false);
            Optional<Registry.Stored> live = same ? storage.registry().runState(name) : Optional.empty();
            if (live.isEmpty()) {
                return Optional.empty();
            }
            PoolRuntime runtime = storage.runtime(name);
            Registry.Stamp activation = live.get().stamp();
            if (!runtime.probed(activation) || !runtime.hasContents(activation, storage.changes(name))) {
                return Optional.empty();
            }
            return Optional.of(read.apply(runtime));
        }
    }

    /** Reads the pool's files; call under the pool lock. */
    private State state(String operation) {
        PoolDefinition persistent = storage.registry().definition(name)
                .map(Registry.Stored::definition)
                .filter(d -> d.uuid().map(uuid::equals).orElse(false))
                .orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_POOL, object, operation,
                        "Pool '" + name + "' (UUID " + uuid + ") is no longer defined."));
        Optional<Registry.Stored> live = storage.activeState(name, operation);
        return new State(persistent, live, storage.runtime(name));
    }

    private State requireActive(State state, String operation) {
        if (!state.active()) {
            throw new StorageException(ErrorCode.POOL_NOT_ACTIVE, object, operation,
                    "Pool '" + name + "' is not active; start it first.");
        }
        return state;
    }

    private State requireInactive(State state, String operation, String why) {
        if (state.active()) {
            throw new StorageException(ErrorCode.POOL_ACTIVE, object, operation,
                    "Pool '" + name + "' is active; " + why + ".");
        }
        return state;
    }

    /** The driver for the definition in force, if its backend can run here; else BACKEND_UNAVAILABLE. */
    private PoolDriver driver(State state, String operation) {
        PoolDefinition definition = state.current();
        PoolBackend backend = storage.backendRegistry().requireAvailable(definition.type(), object, operation);
        return storage.driver(state.runtime(), backend, definition, operation);
    }

    /**
     * Makes sure the runtime holds a refresh of the active pool that is still current: taken in
     * this activation, and no process changed the pool's volumes since ({@code changes} stamp).
     */
    private PoolRuntime contents(State state, String operation) {
        requireActive(state, operation);
        PoolRuntime runtime = state.runtime();
        Registry.Stamp activation = state.live().orElseThrow().stamp();
        if (!runtime.hasContents(activation, storage.changes(name))) {
            refresh(state, operation);
        }
        return runtime;
    }

    private void refresh(State state, String operation) {
        PoolDriver driver = driver(state, operation);
        // Claims first: what dead jobs left goes before the driver looks, and volumes still being
        // created are kept out of the listing.
        Claims.Scan claims = claims(state, operation);
        PoolContents contents = Failures.driverCall(object, operation, driver::refresh);
        if (contents == null) {
            throw new StorageException(ErrorCode.INTERNAL_ERROR, object, operation,
                    "The " + state.current().type() + " backend's refresh of pool '" + name + "' returned nothing.");
        }
        if (claims.live().stream().anyMatch(c -> c.use() == Claims.Use.CREATE)) {
            contents = new PoolContents(contents.info(),
                    contents.volumes().stream().filter(v -> !claims.creating(v.name())).toList(), contents.source());
        }
        state.runtime().setContents(state.live().orElseThrow().stamp(), storage.changes(name), contents);
    }

    /**
     * The pool's claims, after cleaning up after jobs that died: a volume a dead job was creating
     * in place is deleted (a driver that fills new volumes under temporary names removes those in
     * its next refresh, which the cleared contents bring about). Call under the pool lock.
     */
    private Claims.Scan claims(State state, String operation) {
        Claims.Scan scan = storage.claims().scan(name);
        if (scan.dead().isEmpty()) {
            return scan;
        }
        Optional<PoolDriver> driver = state.active() ? availableDriver(state, operation) : Optional.empty();
        for (Claims.Claim dead : scan.dead()) {
            LOG.log(Level.INFO, "pool ''{0}'': the {1} of volume ''{2}'' by process {3} ended without finishing;"
                    + " cleaning up", name, dead.operation(), dead.volume(), String.valueOf(dead.pid()));
            if (dead.use() == Claims.Use.CREATE && driver.isPresent() && driver.get().fillsInPlace()) {
                try {
                    removeHalfMade(driver.get(), dead, operation);
                } catch (StorageException e) {
                    // Keep the claim, so the volume stays hidden and the next operation tries again.
                    LOG.log(Level.WARNING, "pool ''{0}'': cannot remove the half-made volume ''{1}'': {2}",
                            name, dead.volume(), e.getMessage());
                    continue;
                }
            }
            storage.claims().remove(name, dead);
        }
        state.runtime().clearContents();
        return storage.claims().scan(name);
    }

    private Optional<PoolDriver> availableDriver(State state, String operation) {
        try {
            return Optional.of(driver(state, operation));
        } catch (StorageException e) {
            return Optional.empty();
        }
    }

    private void removeHalfMade(PoolDriver driver, Claims.Claim dead, String operation) {
        PoolContents found = Failures.driverCall(object, operation, driver::refresh);
        for (VolumeDefinition volume : found.volumes()) {
            if (volume.name().equals(dead.volume())) {
                Failures.driverRun(Failures.volume(volume.name(), name), operation, () -> driver.deleteVolume(volume));
            }
        }
    }

    /** Refuses {@code use} of {@code volumeName} while a job's claim excludes it. */
    private void requireFree(Claims.Scan claims, String volumeName, Claims.Use use, String operation) {
        Optional<Claims.Claim> conflict = claims.conflicting(volumeName, use);
        if (conflict.isPresent()) {
            throw busy(volumeName, conflict.get(), operation);
        }
    }

    private StorageException busy(String volumeName, Claims.Claim holder, String operation) {
        return new StorageException(ErrorCode.VOLUME_BUSY, Failures.volume(volumeName, name), operation,
                "Volume '" + volumeName + "' of pool '" + name + "' is " + holder.describe() + "; " + operation
                        + " must wait until that ends.");
    }

    /** Refuses to stop, delete or undefine a pool while jobs run on it. */
    private void requireNoJobs(State state, String operation) {
        Claims.Scan claims = claims(state, operation);
        if (claims.busy()) {
            List<String> uses = claims.live().stream().limit(3)
                    .map(c -> "volume '" + c.volume() + "' is " + c.describe()).toList();
            int more = claims.live().size() - uses.size();
            throw new StorageException(ErrorCode.VOLUME_BUSY, object, operation,
                    "Pool '" + name + "' has jobs running (" + String.join("; ", uses)
                            + (more > 0 ? "; and " + more + " more" : "") + "); " + operation
                            + " must wait until they end.");
        }
    }

    private void poolEvent(StorageEvent.PoolEvent.Kind kind) {
        storage.event(EventRecords.Draft.pool(kind, uuid, name));
    }

    /** Journals a change of {@code volume} ({@code source}: the key of the volume it was made from). */
    void volumeEvent(StorageEvent.VolumeEvent.Kind kind, VolumeDefinition volume, String source) {
        storage.event(EventRecords.Draft.volume(kind, uuid, name, volume.name(),
                volume.key().or(() -> volume.path().map(Object::toString)).orElse(null), source));
    }

    private void jobEvent(StorageEvent.JobEvent.Kind kind, Claims.Claim job, int percent, ErrorCode error) {
        storage.event(EventRecords.Draft.job(kind, uuid, name, job.volume(), job.id(), job.operation(), percent, error));
    }

    /** After a change of the pool's volumes: tells other processes their listing is stale, and keeps ours. */
    private void changed(PoolRuntime runtime) {
        runtime.setChanges(storage.markChanged(name));
    }

    // ---- Pool ----

    @Override
    public String name() {
        return name;
    }

    @Override
    public UUID uuid() {
        return uuid;
    }

    @Override
    public PoolType type() {
        return definition().type();
    }

    @Override
    public PoolDefinition definition() {
        return locked("pool-dumpxml", State::current);
    }

    @Override
    public String toXml() {
        return locked("pool-dumpxml", state -> {
            if (!state.active()) {
                return PoolXml.write(state.current(), Optional.empty());
            }
            PoolRuntime runtime = contents(state, "pool-dumpxml");
            PoolDefinition shown = runtime.foundSource()
                    .map(found -> state.current().toBuilder().source(found).build())
                    .orElse(state.current());
            return PoolXml.write(shown, Optional.of(runtime.info()));
        });
    }

    @Override
    public boolean isActive() {
        return locked("pool-info", State::active);
    }

    @Override
    public PoolStatus status() {
        return locked("pool-info", state -> new PoolStatus(state.current(), state.active(),
                storage.registry().isAutostart(name),
                state.active() ? space(state, "pool-info") : PoolInfo.inactive()));
    }

    /**
     * The active pool's space: from this process's listing when it is current, else asked of the
     * driver alone, so that a pool listing does not list every pool's volumes (one statvfs for a
     * file pool); a driver that cannot tell without a refresh gets one, which is kept.
     */
    private PoolInfo space(State state, String operation) {
        requireActive(state, operation);
        PoolRuntime runtime = state.runtime();
        if (runtime.hasContents(state.live().orElseThrow().stamp(), storage.changes(name))) {
            return runtime.info();
        }
        PoolDriver driver = driver(state, operation);
        Optional<PoolInfo> space = Failures.driverCall(object, operation, driver::space);
        return space != null && space.isPresent() ? space.get() : contents(state, operation).info();
    }

    @Override
    public boolean isAutostart() {
        return locked("pool-info", state -> storage.registry().isAutostart(name));
    }

    @Override
    public void setAutostart(boolean autostart) {
        locked("pool-autostart", state -> {
            storage.registry().setAutostart(name, autostart, "pool-autostart");
            poolEvent(autostart ? StorageEvent.PoolEvent.Kind.AUTOSTART_ENABLED
                    : StorageEvent.PoolEvent.Kind.AUTOSTART_DISABLED);
            return null;
        });
    }

    @Override
    public PoolInfo info() {
        return locked("pool-info", state -> state.active() ? space(state, "pool-info") : PoolInfo.inactive());
    }

    @Override
    public void build(BuildMode mode) {
        String operation = "pool-build";
        if (mode == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "No build mode was given.");
        }
        locked(operation, state -> {
            requireInactive(state, operation, "stop it before building it");
            PoolDriver driver = driver(state, operation);
            Failures.driverRun(object, operation, () -> driver.build(mode));
            poolEvent(StorageEvent.PoolEvent.Kind.BUILT);
            return null;
        });
    }

    @Override
    public void start() {
        String operation = "pool-start";
        locked(operation, state -> {
            requireInactive(state, operation, "it is already running");
            PoolDriver driver = driver(state, operation);
            Failures.driverRun(object, operation, driver::start);
            try {
                storage.registry().writeRunState(state.persistent(), operation);
                State started = state(operation);
                if (!started.active()) {
                    throw new StorageException(ErrorCode.INTERNAL_ERROR, object, operation,
                            "The " + state.persistent().type() + " backend started pool '" + name
                                    + "' but then reported it inactive.");
                }
                refresh(started, operation);
            } catch (StorageException e) {
                // Leave the pool as it was: stopped and unmarked.
                undoStart(driver, operation, e);
                throw e;
            }
            LOG.log(Level.DEBUG, "{0} {1}: started", operation, object);
            poolEvent(StorageEvent.PoolEvent.Kind.STARTED);
            return null;
        });
    }

    private void undoStart(PoolDriver driver, String operation, StorageException failure) {
        try {
            Failures.driverRun(object, operation, driver::stop);
        } catch (StorageException e) {
            failure.addSuppressed(e);
        }
        try {
            storage.registry().deleteRunState(name, operation);
        } catch (StorageException e) {
            failure.addSuppressed(e);
        }
        storage.runtime(name).clearContents();
    }

    @Override
    public void stop() {
        String operation = "pool-destroy";
        locked(operation, state -> {
            requireActive(state, operation);
            requireNoJobs(state, operation);
            PoolDriver driver = driver(state, operation);
            Failures.driverRun(object, operation, driver::stop);
            storage.registry().deleteRunState(name, operation);
            state.runtime().clearContents();
            poolEvent(StorageEvent.PoolEvent.Kind.STOPPED);
            return null;
        });
    }

    @Override
    public void delete() {
        String operation = "pool-delete";
        locked(operation, state -> {
            requireInactive(state, operation, "stop it before deleting it");
            requireNoJobs(state, operation);
            PoolDriver driver = driver(state, operation);
            Failures.driverRun(object, operation, driver::delete);
            poolEvent(StorageEvent.PoolEvent.Kind.DELETED);
            return null;
        });
    }

    @Override
    public void undefine() {
        String operation = "pool-undefine";
        storage.ensureOpen(operation);
        LOG.log(Level.DEBUG, "{0} {1}", operation, object);
        // The registry lock first, as definePool takes them.
        try (FileLocks.Held _ = storage.lockRegistry(object, operation);
             FileLocks.Held _ = storage.lockPool(name, operation)) {
            State state = state(operation);
            requireInactive(state, operation, "stop it before undefining it");
            requireNoJobs(state, operation);
            storage.registry().setAutostart(name, false, operation);
            storage.registry().deleteRunState(name, operation);
            storage.registry().deleteDefinition(name, operation);
            storage.forget(name);
            poolEvent(StorageEvent.PoolEvent.Kind.UNDEFINED);
        }
    }

    @Override
    public void refresh() {
        String operation = "pool-refresh";
        locked(operation, state -> {
            // A refresh asks the backend again whether the pool is there (other calls trust the last answer).
            state.runtime().forgetProbe();
            State probed = state(operation);
            requireActive(probed, operation);
            refresh(probed, operation);
            changed(probed.runtime());
            poolEvent(StorageEvent.PoolEvent.Kind.REFRESHED);
            return null;
        });
    }

    @Override
    public List<Volume> volumes() {
        String operation = "vol-list";
        java.util.function.Function<PoolRuntime, List<Volume>> handles = runtime -> runtime.volumes().stream()
                .map(v -> (Volume) new VolumeHandle(this, v)).toList();
        return readCurrent(operation, handles)
                .orElseGet(() -> locked(operation, state -> handles.apply(contents(state, operation))));
    }

    @Override
    public Optional<Volume> volume(String volumeName) {
        String operation = "vol-lookup";
        DefaultStorage.validName("volume name", volumeName, operation);
        java.util.function.Function<PoolRuntime, Optional<Volume>> find = runtime -> runtime.volume(volumeName)
                .map(v -> new VolumeHandle(this, v));
        return readCurrent(operation, find).orElseGet(() -> locked(operation, state -> find.apply(contents(state, operation))));
    }

    @Override
    public Volume requireVolume(String volumeName) {
        return volume(volumeName).orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME,
                Failures.volume(volumeName, name), "vol-lookup",
                "Pool '" + name + "' has no volume named '" + volumeName + "'."));
    }

    @Override
    public Volume createVolume(VolumeDefinition definition) {
        String operation = "vol-create";
        if (definition == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "No volume definition was given.");
        }
        String volumeObject = Failures.volume(definition.name(), name);
        if (definition.allocation().orElse(0) <= 0) {
            // Nothing to fill: made and listed in one step under the lock.
            return locked(operation, state -> {
                requireActive(state, operation);
                PoolRuntime runtime = state.runtime();
                PoolDriver driver = driver(state, operation);
                // Without a current listing (a command's first call), a driver that refuses taken
                // names itself is not made to list the whole pool first.
                boolean listed = runtime.hasContents(state.live().orElseThrow().stamp(), storage.changes(name))
                        || !driver.refusesTakenNames();
                if (listed) {
                    requireNew(state, contents(state, operation), definition.name(), volumeObject, operation);
                } else {
                    requireFree(claims(state, operation), definition.name(), Claims.Use.CREATE, operation);
                }
                VolumeDefinition created = Failures.driverCall(volumeObject, operation,
                        () -> driver.createVolume(definition));
                if (created == null) {
                    throw new StorageException(ErrorCode.INTERNAL_ERROR, volumeObject, operation,
                            "The backend of pool '" + name + "' reported no volume after " + operation + ".");
                }
                VolumeHandle handle;
                if (listed) {
                    handle = remember(runtime, created, volumeObject, operation);
                } else {
                    runtime.clearContents(); // a listing of before another process's change stays stale
                    handle = new VolumeHandle(this, created);
                }
                changed(runtime);
                volumeEvent(StorageEvent.VolumeEvent.Kind.CREATED, created, null);
                return handle;
            });
        }
        Started job = locked(operation, state -> {
            PoolRuntime runtime = contents(state, operation);
            requireNew(state, runtime, definition.name(), volumeObject, operation);
            PoolDriver driver = driver(state, operation);
            return new Started(driver, List.of(claim(definition.name(), Claims.Use.CREATE, operation, volumeObject)));
        });
        return job.run(operation, volumeObject, () -> Failures.driverCall(volumeObject, operation,
                () -> job.driver().createVolume(definition)), created -> commitNew(created, job, volumeObject, operation, StorageEvent.VolumeEvent.Kind.CREATED, null));
    }

    @Override
    public Volume createVolumeFrom(VolumeDefinition definition, Volume source, ProgressListener progress) {
        String operation = "vol-create-from";
        if (definition == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "No volume definition was given.");
        }
        if (!(source instanceof VolumeHandle from) || from.poolHandle().storage != storage) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                    "The source volume must come from the same Storage as pool '" + name + "'.");
        }
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        String volumeObject = Failures.volume(definition.name(), name);
        PoolHandle sourcePool = from.poolHandle();
        Started job;
        if (sourcePool.name.equals(name)) {
            job = locked(operation, state -> startCopy(state, state, from, definition, volumeObject, operation));
        } else {
            // Two pools: lock them in name order, so two opposite copies cannot deadlock.
            PoolHandle first = name.compareTo(sourcePool.name) < 0 ? this : sourcePool;
            PoolHandle second = first == this ? sourcePool : this;
            job = first.locked(operation, firstState -> second.locked(operation, secondState -> {
                State target = first == this ? firstState : secondState;
                State sourceState = first == this ? secondState : firstState;
                return startCopy(target, sourceState, from, definition, volumeObject, operation);
            }));
        }
        VolumeSource volumeSource = job.source().orElseThrow();
        String sourceKey = from.key();
        ProgressListener tracked = job.tracked(listener);
        return job.run(operation, volumeObject, () -> Failures.driverCall(volumeObject, operation,
                        () -> job.driver().createVolumeFrom(definition, volumeSource, tracked)),
                created -> commitNew(created, job, volumeObject, operation, StorageEvent.VolumeEvent.Kind.CLONED,
                        sourceKey));
    }

    /** Checks a copy and claims its target (being created) and its source (being read). Under both locks. */
    private Started startCopy(State target, State sourceState, VolumeHandle from, VolumeDefinition definition,
                              String volumeObject, String operation) {
        PoolHandle sourcePool = from.poolHandle();
        PoolRuntime targetRuntime = contents(target, operation);
        VolumeDefinition sourceVolume = sourcePool.existingVolume(sourceState, from, operation);
        requireNew(target, targetRuntime, definition.name(), volumeObject, operation);
        Claims.Scan sourceClaims = sourcePool.claims(sourceState, operation);
        sourcePool.requireFree(sourceClaims, sourceVolume.name(), Claims.Use.READ, operation);
        PoolDriver sourceDriver = sourcePool.driver(sourceState, operation);
        PoolDriver targetDriver = driver(target, operation);
        PoolType sourceType = sourceState.current().type();
        String sourceObject = Failures.volume(sourceVolume.name(), sourcePool.name);
        VolumeSource volumeSource = new VolumeSource() {
            @Override
            public VolumeDefinition definition() {
                return sourceVolume;
            }

            @Override
            public PoolType poolType() {
                return sourceType;
            }

            @Override
            public java.nio.channels.ReadableByteChannel open() {
                return Failures.driverCall(sourceObject, operation, () -> sourceDriver.openRead(sourceVolume, 0, -1));
            }
        };
        Claims.Held created = claim(definition.name(), Claims.Use.CREATE, operation, volumeObject);
        try {
            Claims.Held read = sourcePool.claim(sourceVolume.name(), Claims.Use.READ, operation, sourceObject);
            return new Started(targetDriver, List.of(created, read), Optional.of(volumeSource));
        } catch (RuntimeException | Error e) {
            created.close();
            throw e;
        }
    }

    /** Under the lock again: the new volume joins the listing, then its claim goes. */
    private Volume commitNew(VolumeDefinition created, Started job, String volumeObject, String operation,
                             StorageEvent.VolumeEvent.Kind kind, String sourceKey) {
        return locked(operation, state -> {
            PoolRuntime runtime = contents(state, operation);
            VolumeHandle handle = remember(runtime, created, volumeObject, operation);
            job.close();
            changed(runtime);
            volumeEvent(kind, created, sourceKey);
            return handle;
        });
    }

    /** Records a claim on a volume of this pool for this process. Call under the pool lock. */
    Claims.Held claim(String volumeName, Claims.Use use, String operation, String volumeObject) {
        return storage.claims().record(name, volumeName, use, operation, volumeObject);
    }

    /**
     * A job that has claimed its volumes and let go of the lock: the driver to call, the claims to
     * let go of when it ends, and for a copy, its source.
     */
    private final class Started implements AutoCloseable {
        private final PoolDriver driver;
        private final List<Claims.Held> claims;
        private final Optional<VolumeSource> source;

        Started(PoolDriver driver, List<Claims.Held> claims, Optional<VolumeSource> source) {
            this.driver = driver;
            this.claims = new java.util.concurrent.CopyOnWriteArrayList<>(claims);
            this.source = source;
        }

        Started(PoolDriver driver, List<Claims.Held> claims) {
            this(driver, claims, Optional.empty());
        }

        PoolDriver driver() {
            return driver;
        }

        Optional<VolumeSource> source() {
            return source;
        }

        /** Lets go of every claim; what is already let go of stays so. */
        @Override
        public void close() {
            claims.forEach(Claims.Held::close);
        }

        /**
         * {@code listener}, also journalling the job's progress coarsely: a {@code job-progressed}
         * event each time it passes another tenth.
         */
        ProgressListener tracked(ProgressListener listener) {
            Claims.Claim job = claims.getFirst().claim();
            int[] tenths = {0};
            return (done, total) -> {
                listener.progress(done, total);
                if (total > 0) {
                    int now = (int) Math.min(10, Math.max(0, done) * 10 / total);
                    if (now > tenths[0]) {
                        tenths[0] = now;
                        jobEvent(StorageEvent.JobEvent.Kind.PROGRESSED, job, now * 10, null);
                    }
                }
            };
        }

        /** The job's work outside the lock, then its commit; the claims go however it ends. */
        <R, T> T run(String operation, String volumeObject, java.util.function.Supplier<R> work,
                     Function<R, T> commit) {
            Claims.Claim job = claims.getFirst().claim();
            jobEvent(StorageEvent.JobEvent.Kind.STARTED, job, -1, null);
            try {
                T result = runJob(operation, volumeObject, work, commit);
                jobEvent(StorageEvent.JobEvent.Kind.FINISHED, job, -1, null);
                return result;
            } catch (StorageException e) {
                jobEvent(e.code() == ErrorCode.CANCELLED ? StorageEvent.JobEvent.Kind.CANCELLED
                        : StorageEvent.JobEvent.Kind.FAILED, job, -1, e.code());
                throw e;
            } catch (RuntimeException | Error e) {
                jobEvent(StorageEvent.JobEvent.Kind.FAILED, job, -1, ErrorCode.INTERNAL_ERROR);
                throw e;
            }
        }

        private <R, T> T runJob(String operation, String volumeObject, java.util.function.Supplier<R> work,
                                Function<R, T> commit) {
            try (this) {
                StageHook hook = storage.stageHook();
                R done = PoolJobs.within(name, operation, claims, () -> {
                    hook.reached(operation, "claimed");
                    R result = work.get();
                    hook.reached(operation, "filled");
                    return result;
                });
                if (done == null) {
                    throw new StorageException(ErrorCode.INTERNAL_ERROR, volumeObject, operation,
                            "The backend of pool '" + name + "' reported nothing after " + operation + ".");
                }
                return commit.apply(done);
            }
        }
    }

    private void requireNew(State state, PoolRuntime runtime, String volumeName, String volumeObject,
                            String operation) {
        if (runtime.volume(volumeName).isPresent()) {
            throw new StorageException(ErrorCode.VOLUME_EXISTS, volumeObject, operation,
                    "Pool '" + name + "' already has a volume named '" + volumeName + "'.");
        }
        requireFree(claims(state, operation), volumeName, Claims.Use.CREATE, operation);
    }

    private VolumeHandle remember(PoolRuntime runtime, VolumeDefinition created, String volumeObject, String operation) {
        if (created == null) {
            throw new StorageException(ErrorCode.INTERNAL_ERROR, volumeObject, operation,
                    "The backend of pool '" + name + "' reported no volume after " + operation + ".");
        }
        runtime.putVolume(created);
        return new VolumeHandle(this, created);
    }

    // ---- for volume handles ----

    /** Runs a volume operation under the pool lock, with the volume as the last refresh saw it. */
    <T> T withVolume(VolumeHandle volume, String operation, VolumeBody<T> body) {
        LOG.log(Level.DEBUG, "{0} {1}", operation, Failures.volume(volume.name(), name));
        return locked(operation, state -> {
            VolumeDefinition current = existingVolume(state, volume, operation);
            return body.run(new VolumeContext(state, operation, current));
        });
    }

    /**
     * A volume operation that moves data: claims the volume for {@code use} under the lock
     * ({@code VOLUME_BUSY} when a job's claim excludes it), runs {@code work} without the lock,
     * then lets go of the claim.
     */
    void volumeJob(VolumeHandle volume, String operation, Claims.Use use, ProgressListener listener, VolumeWork work) {
        String volumeObject = Failures.volume(volume.name(), name);
        VolumeDefinition[] current = new VolumeDefinition[1];
        Started job = withVolume(volume, operation, c -> {
            current[0] = c.volume();
            return new Started(c.driver(), List.of(c.claim(use)));
        });
        ProgressListener tracked = job.tracked(listener);
        job.run(operation, volumeObject, () -> {
            work.run(job.driver(), current[0], tracked);
            return Boolean.TRUE;
        }, done -> done);
    }

    @FunctionalInterface
    interface VolumeWork {
        void run(PoolDriver driver, VolumeDefinition volume, ProgressListener progress);
    }

    @FunctionalInterface
    interface VolumeBody<T> {
        T run(VolumeContext context);
    }

    /** A volume operation's view, under the pool lock: the pool's runtime, its driver and claims, and the volume. */
    final class VolumeContext {
        private final State state;
        private final String operation;
        private final VolumeDefinition volume;

        private VolumeContext(State state, String operation, VolumeDefinition volume) {
            this.state = state;
            this.operation = operation;
            this.volume = volume;
        }

        PoolRuntime runtime() {
            return state.runtime();
        }

        /** The pool's driver, opened on demand. */
        PoolDriver driver() {
            return PoolHandle.this.driver(state, operation);
        }

        VolumeDefinition volume() {
            return volume;
        }

        /** Refuses the operation while a job's claim on the volume excludes {@code use}. */
        void requireFree(Claims.Use use) {
            PoolHandle.this.requireFree(claims(state, operation), volume.name(), use, operation);
        }

        /** Refuses a new volume named {@code newName} while a job creates one by that name. */
        void requireFreeName(String newName) {
            PoolHandle.this.requireFree(claims(state, operation), newName, Claims.Use.CREATE, operation);
        }

        /** Claims the volume for {@code use}, after checking no job's claim excludes it. */
        Claims.Held claim(Claims.Use use) {
            requireFree(use);
            return PoolHandle.this.claim(volume.name(), use, operation, Failures.volume(volume.name(), name));
        }

        /** The pool's volumes changed (created, deleted, resized): tells other processes. */
        void changed() {
            PoolHandle.this.changed(state.runtime());
        }

        /** The pool's space and this volume as the driver sees them now (a refresh). */
        PoolInfo freshInfo() {
            PoolHandle.this.refresh(state, operation);
            return state.runtime().info();
        }

        /** This volume as the last refresh saw it (after {@link #freshInfo}, as now). */
        VolumeDefinition currentVolume() {
            return state.runtime().volume(volume.name()).orElse(volume);
        }
    }

    private VolumeDefinition existingVolume(State state, VolumeHandle volume, String operation) {
        PoolRuntime runtime = contents(state, operation);
        return runtime.volume(volume.name())
                .filter(v -> Objects.equals(v.key(), volume.definitionAtLookup().key()))
                .orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME, Failures.volume(volume.name(), name),
                        operation, "Volume '" + volume.name() + "' no longer exists in pool '" + name + "'."));
    }

    /** Searches the active pool's volumes (refreshing once if needed); inactive pools have none. */
    Optional<Volume> findVolume(String operation, Function<PoolRuntime, Optional<VolumeDefinition>> finder) {
        Optional<Optional<Volume>> quick = readCurrent(operation,
                runtime -> finder.apply(runtime).map(v -> (Volume) new VolumeHandle(this, v)));
        if (quick.isPresent()) {
            return quick.get();
        }
        return locked(operation, state -> {
            if (!state.active()) {
                return Optional.empty();
            }
            return finder.apply(contents(state, operation)).map(v -> (Volume) new VolumeHandle(this, v));
        });
    }

    DefaultStorage storage() {
        return storage;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PoolHandle that && that.storage == storage && that.name.equals(name)
                && that.uuid.equals(uuid);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, uuid);
    }

    @Override
    public String toString() {
        return "Pool[" + name + ", " + uuid + "]";
    }
}
