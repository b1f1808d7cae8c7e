package org.libstorage.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.HostDeviceProvider;
import org.libstorage.spi.PoolBackend;

/**
 * The backends and host-device providers found with {@link ServiceLoader}. When several
 * backends serve one pool type (a native one and a command-line fallback), the first that
 * reports itself available is used, else the first one (so its reason is reported).
 *
 * <p>A backend whose provider class declares its type ({@link PoolBackend.Serves}) is made only
 * when a pool of that type is first touched, and the host-device providers only when host
 * devices are first asked for: a command that touches one dir pool loads no LVM, iSCSI or
 * libfdisk code, and a backend's constructor cannot slow down a program that never uses it.
 * A provider that declares no type is made at once, to learn its type.
 */
final class Backends {
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());

    private final Map<PoolType, List<Lazy>> byType;
    private final Supplier<List<HostDeviceProvider>> deviceProviders;
    /** The context each backend's status check gets: the Storage's backend options. */
    private final Function<PoolType, BackendContext> contexts;
    /**
     * Each backend's last status and when it was taken. A status check may search PATH or probe
     * a library, and every pool call asks for it; tools rarely come and go within a second.
     */
    private final ConcurrentMap<PoolBackend, TimedStatus> statuses = new ConcurrentHashMap<>();

    private static final long STATUS_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private record TimedStatus(BackendStatus status, long takenAtNanos) {
    }

    /** A backend made on first use; empty when making it failed or it serves another type than declared. */
    static final class Lazy {
        /** The type it serves: as declared, or (for a provider that declares none) learnt when made. */
        private PoolType type;
        private final String name;
        private final Supplier<PoolBackend> factory;
        private Optional<PoolBackend> instance;

        Lazy(PoolType type, String name, Supplier<PoolBackend> factory) {
            this.type = type;
            this.name = name;
            this.factory = factory;
        }

        synchronized Optional<PoolBackend> get() {
            if (instance == null) {
                instance = make();
            }
            return instance;
        }

        synchronized boolean isMade() {
            return instance != null;
        }

        private Optional<PoolBackend> make() {
            PoolBackend backend;
            try {
                backend = factory.get();
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                // A provider that cannot even be instantiated must not take the others down.
                LOG.log(Level.WARNING, "ignoring pool backend " + name + ": it failed to load", e);
                return Optional.empty();
            }
            PoolType served;
            try {
                served = backend.type();
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "ignoring pool backend " + name + ": its type() failed", e);
                return Optional.empty();
            }
            if (type == null) {
                type = served;
            } else if (served != type) {
                LOG.log(Level.WARNING, "ignoring pool backend {0}: it declares type {1} but serves {2}", name, type, served);
                return Optional.empty();
            }
            LOG.log(Level.DEBUG, "pool backend {0} serves type {1}", name, type);
            return Optional.of(backend);
        }
    }

    private Backends(Map<PoolType, List<Lazy>> byType, Supplier<List<HostDeviceProvider>> deviceProviders) {
        this(byType, memoize(deviceProviders), type -> null);
    }

    private Backends(Map<PoolType, List<Lazy>> byType, Supplier<List<HostDeviceProvider>> deviceProviders,
                     Function<PoolType, BackendContext> contexts) {
        this.byType = byType;
        this.deviceProviders = deviceProviders;
        this.contexts = contexts;
    }

    /** These backends, asked for their status with the context {@code contexts} gives for their type. */
    Backends withContexts(Function<PoolType, BackendContext> contexts) {
        return new Backends(byType, deviceProviders, contexts);
    }

    static Backends load() {
        Map<PoolType, List<Lazy>> byType = new EnumMap<>(PoolType.class);
        ServiceLoader<PoolBackend> loader = ServiceLoader.load(PoolBackend.class, Backends.class.getClassLoader());
        Iterator<ServiceLoader.Provider<PoolBackend>> providers = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<PoolBackend> provider;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                provider = providers.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                LOG.log(Level.WARNING, "ignoring a PoolBackend that failed to load", e);
                continue;
            }
            String name = provider.type().getName();
            PoolBackend.Serves declared = provider.type().getAnnotation(PoolBackend.Serves.class);
            Lazy lazy;
            if (declared != null) {
                lazy = new Lazy(declared.value(), name, provider::get);
            } else {
                // No declared type: make it now to ask it (what every backend did before Serves).
                Lazy any = new Lazy(null, name, provider::get);
                if (any.get().isEmpty()) {
                    continue;
                }
                lazy = any;
            }
            byType.computeIfAbsent(lazy.type, t -> new ArrayList<>()).add(lazy);
        }
        return new Backends(byType, () -> loadAll(HostDeviceProvider.class));
    }

    /** Backends given directly, for tests. */
    static Backends of(List<PoolBackend> backends, List<HostDeviceProvider> providers) {
        Map<PoolType, List<Lazy>> byType = new EnumMap<>(PoolType.class);
        backends.forEach(b -> byType.computeIfAbsent(b.type(), t -> new ArrayList<>())
                .add(new Lazy(b.type(), b.getClass().getName(), () -> b)));
        return new Backends(byType, () -> providers);
    }

    /** Backends made on first use by {@code factories}, in order, for tests. */
    static Backends ofLazy(List<Lazy> factories, Supplier<List<HostDeviceProvider>> providers) {
        Map<PoolType, List<Lazy>> byType = new EnumMap<>(PoolType.class);
        factories.forEach(f -> byType.computeIfAbsent(f.type, t -> new ArrayList<>()).add(f));
        return new Backends(byType, providers);
    }

    private static <S> List<S> loadAll(Class<S> service) {
        List<S> found = new ArrayList<>();
        ServiceLoader<S> loader = ServiceLoader.load(service, Backends.class.getClassLoader());
        var providers = loader.stream().iterator();
        while (true) {
            try {
                if (!providers.hasNext()) {
                    break;
                }
                found.add(providers.next().get());
            } catch (ServiceConfigurationError | LinkageError e) {
                // A provider that cannot even be instantiated must not take the others down.
                LOG.log(Level.WARNING, "ignoring a " + service.getSimpleName() + " that failed to load", e);
            }
        }
        return List.copyOf(found);
    }

    private static <T> Supplier<T> memoize(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }

    /** The backend for {@code type}, if one is installed (available here or not). */
    Optional<PoolBackend> backend(PoolType type) {
        List<Lazy> lazies = byType.getOrDefault(type, List.of());
        if (lazies.size() == 1) {
            return lazies.getFirst().get();
        }
        List<PoolBackend> candidates = lazies.stream().flatMap(l -> l.get().stream()).toList();
        if (candidates.size() > 1) {
            for (PoolBackend candidate : candidates) {
                if (status(candidate).available()) {
                    return Optional.of(candidate);
                }
            }
        }
        return candidates.stream().findFirst();
    }

    /**
     * The backend for {@code type} when it can run here; otherwise {@link ErrorCode#BACKEND_UNAVAILABLE}
     * saying why.
     */
    PoolBackend requireAvailable(PoolType type, String object, String operation) {
        PoolBackend backend = backend(type).orElseThrow(() -> new StorageException(ErrorCode.BACKEND_UNAVAILABLE,
                object, operation, "No backend for pool type " + type + " is installed here, so "
                        + operation + " cannot run" + (object == null ? "" : " for " + object) + "."));
        BackendStatus status = status(backend);
        if (!status.available()) {
            throw new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation,
                    "The " + type + " backend cannot run here: " + status.reason().orElse("it reports itself unavailable")
                            + (status.reason().map(r -> r.endsWith(".")).orElse(false) ? "" : "."));
        }
        return backend;
    }

    BackendStatus status(PoolType type) {
        return backend(type).map(this::status).orElseGet(() ->
                BackendStatus.unavailable(type, "no backend for pool type " + type + " is installed"));
    }

    private BackendStatus status(PoolBackend backend) {
        long now = System.nanoTime();
        TimedStatus cached = statuses.get(backend);
        if (cached != null && now - cached.takenAtNanos() < STATUS_TTL_NANOS) {
            return cached.status();
        }
        BackendStatus status = checkStatus(backend, contexts.apply(backend.type()));
        statuses.put(backend, new TimedStatus(status, now));
        return status;
    }

    private static BackendStatus checkStatus(PoolBackend backend, BackendContext context) {
        try {
            BackendStatus status = context == null ? backend.status() : backend.status(context);
            if (status == null) {
                return BackendStatus.unavailable(backend.type(), backend.getClass().getName() + ".status() returned null");
            }
            return status;
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "the status check of pool backend " + backend.getClass().getName() + " failed", e);
            return BackendStatus.unavailable(backend.type(), "its status check failed: " + e);
        }
    }

    List<HostDeviceProvider> deviceProviders() {
        return deviceProviders.get();
    }
}
