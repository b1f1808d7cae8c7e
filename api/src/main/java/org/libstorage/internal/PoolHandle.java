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
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
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
 * after. Every operation runs under the pool's lock and re-reads the pool's files first.
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

    /** Makes sure the runtime holds a refresh of the active pool. */
    private PoolRuntime contents(State state, String operation) {
        requireActive(state, operation);
        PoolRuntime runtime = state.runtime();
        Registry.Stamp activation = state.live().orElseThrow().stamp();
        if (!runtime.hasContents(activation)) {
            refresh(state, operation);
        }
        return runtime;
    }

    private void refresh(State state, String operation) {
        PoolDriver driver = driver(state, operation);
        PoolContents contents = Failures.driverCall(object, operation, driver::refresh);
        if (contents == null) {
            throw new StorageException(ErrorCode.INTERNAL_ERROR, object, operation,
                    "The " + state.current().type() + " backend's refresh of pool '" + name + "' returned nothing.");
        }
        state.runtime().setContents(state.live().orElseThrow().stamp(), contents);
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
    public boolean isAutostart() {
        return locked("pool-info", state -> storage.registry().isAutostart(name));
    }

    @Override
    public void setAutostart(boolean autostart) {
        locked("pool-autostart", state -> {
            storage.registry().setAutostart(name, autostart, "pool-autostart");
            return null;
        });
    }

    @Override
    public PoolInfo info() {
        return locked("pool-info", state -> state.active() ? contents(state, "pool-info").info() : PoolInfo.inactive());
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
            PoolDriver driver = driver(state, operation);
            Failures.driverRun(object, operation, driver::stop);
            storage.registry().deleteRunState(name, operation);
            state.runtime().clearContents();
            return null;
        });
    }

    @Override
    public void delete() {
        String operation = "pool-delete";
        locked(operation, state -> {
            requireInactive(state, operation, "stop it before deleting it");
            PoolDriver driver = driver(state, operation);
            Failures.driverRun(object, operation, driver::delete);
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
            storage.registry().setAutostart(name, false, operation);
            storage.registry().deleteRunState(name, operation);
            storage.registry().deleteDefinition(name, operation);
            storage.forget(name);
        }
    }

    @Override
    public void refresh() {
        String operation = "pool-refresh";
        locked(operation, state -> {
            requireActive(state, operation);
            refresh(state, operation);
            return null;
        });
    }

    @Override
    public List<Volume> volumes() {
        String operation = "vol-list";
        return locked(operation, state -> contents(state, operation).volumes().stream()
                .map(v -> (Volume) new VolumeHandle(this, v)).toList());
    }

    @Override
    public Optional<Volume> volume(String volumeName) {
        String operation = "vol-lookup";
        DefaultStorage.validName("volume name", volumeName, operation);
        return locked(operation, state -> contents(state, operation).volume(volumeName)
                .map(v -> new VolumeHandle(this, v)));
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
        return locked(operation, state -> {
            PoolRuntime runtime = contents(state, operation);
            requireNew(runtime, definition.name(), volumeObject, operation);
            PoolDriver driver = driver(state, operation);
            VolumeDefinition created = Failures.driverCall(volumeObject, operation,
                    () -> driver.createVolume(definition));
            return remember(runtime, created, volumeObject, operation);
        });
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
        if (sourcePool.name.equals(name)) {
            return locked(operation, state -> copy(state, state, from, definition, listener, volumeObject, operation));
        }
        // Two pools: lock them in name order, so two opposite copies cannot deadlock.
        PoolHandle first = name.compareTo(sourcePool.name) < 0 ? this : sourcePool;
        PoolHandle second = first == this ? sourcePool : this;
        return first.locked(operation, firstState -> second.locked(operation, secondState -> {
            State target = first == this ? firstState : secondState;
            State sourceState = first == this ? secondState : firstState;
            return copy(target, sourceState, from, definition, listener, volumeObject, operation);
        }));
    }

    private Volume copy(State target, State sourceState, VolumeHandle from, VolumeDefinition definition,
                        ProgressListener progress, String volumeObject, String operation) {
        PoolHandle sourcePool = from.poolHandle();
        PoolRuntime targetRuntime = contents(target, operation);
        VolumeDefinition sourceVolume = sourcePool.existingVolume(sourceState, from, operation);
        requireNew(targetRuntime, definition.name(), volumeObject, operation);
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
        VolumeDefinition created = Failures.driverCall(volumeObject, operation,
                () -> targetDriver.createVolumeFrom(definition, volumeSource, progress));
        return remember(targetRuntime, created, volumeObject, operation);
    }

    private void requireNew(PoolRuntime runtime, String volumeName, String volumeObject, String operation) {
        if (runtime.volume(volumeName).isPresent()) {
            throw new StorageException(ErrorCode.VOLUME_EXISTS, volumeObject, operation,
                    "Pool '" + name + "' already has a volume named '" + volumeName + "'.");
        }
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
            return body.run(new VolumeContext(state.runtime(), () -> driver(state, operation), current));
        });
    }

    @FunctionalInterface
    interface VolumeBody<T> {
        T run(VolumeContext context);
    }

    /** A volume operation's view: the pool's runtime, its driver (opened on demand) and the volume. */
    record VolumeContext(PoolRuntime runtime, java.util.function.Supplier<PoolDriver> driver, VolumeDefinition volume) {
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
