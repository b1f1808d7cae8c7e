package org.libstorage.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.spi.HostDeviceProvider;
import org.libstorage.spi.PoolBackend;

/**
 * The backends and host-device providers found with {@link ServiceLoader}. When several
 * backends serve one pool type (a native one and a command-line fallback), the first that
 * reports itself available is used, else the first one (so its reason is reported).
 */
final class Backends {
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());

    private final Map<PoolType, List<PoolBackend>> byType;
    private final List<HostDeviceProvider> deviceProviders;
    /**
     * Each backend's last status and when it was taken. A status check may search PATH or probe
     * a library, and every pool call asks for it; tools rarely come and go within a second.
     */
    private final ConcurrentMap<PoolBackend, TimedStatus> statuses = new ConcurrentHashMap<>();

    private static final long STATUS_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private record TimedStatus(BackendStatus status, long takenAtNanos) {
    }

    private Backends(Map<PoolType, List<PoolBackend>> byType, List<HostDeviceProvider> deviceProviders) {
        this.byType = byType;
        this.deviceProviders = List.copyOf(deviceProviders);
    }

    static Backends load() {
        Map<PoolType, List<PoolBackend>> byType = new EnumMap<>(PoolType.class);
        for (PoolBackend backend : loadAll(PoolBackend.class)) {
            PoolType type;
            try {
                type = backend.type();
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "ignoring pool backend " + backend.getClass().getName()
                        + ": its type() failed", e);
                continue;
            }
            byType.computeIfAbsent(type, t -> new ArrayList<>()).add(backend);
            LOG.log(Level.DEBUG, "pool backend {0} serves type {1}", backend.getClass().getName(), type);
        }
        return new Backends(byType, loadAll(HostDeviceProvider.class));
    }

    /** Backends given directly, for tests. */
    static Backends of(List<PoolBackend> backends, List<HostDeviceProvider> providers) {
        Map<PoolType, List<PoolBackend>> byType = new EnumMap<>(PoolType.class);
        backends.forEach(b -> byType.computeIfAbsent(b.type(), t -> new ArrayList<>()).add(b));
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
        return found;
    }

    /** The backend for {@code type}, if one is installed (available here or not). */
    Optional<PoolBackend> backend(PoolType type) {
        List<PoolBackend> candidates = byType.getOrDefault(type, List.of());
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
        BackendStatus status = checkStatus(backend);
        statuses.put(backend, new TimedStatus(status, now));
        return status;
    }

    private static BackendStatus checkStatus(PoolBackend backend) {
        try {
            BackendStatus status = backend.status();
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
        return deviceProviders;
    }
}
