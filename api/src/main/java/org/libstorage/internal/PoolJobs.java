package org.libstorage.internal;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.libstorage.StageHook;
import org.libstorage.spi.Job;
import org.libstorage.spi.Jobs;

/**
 * The {@link Jobs} a pool's driver sees. The job a thread works for is bound with a
 * {@link ScopedValue} around the driver calls that move data, so drivers learn it without a
 * parameter, and it cannot leak to a later call on the same thread.
 */
final class PoolJobs implements Jobs {
    /** The job the current thread runs a driver call for, the pool it belongs to, and its claims. */
    private static final ScopedValue<Running> CURRENT = ScopedValue.newInstance();

    private record Running(String pool, Job job, String operation, List<Claims.Held> claims) {
    }

    private final String pool;
    private final DefaultStorage storage;

    PoolJobs(String pool, DefaultStorage storage) {
        this.pool = pool;
        this.storage = storage;
    }

    /**
     * Runs {@code call} as part of the job whose first claim is {@code claims[0]}; claims the
     * driver adds ({@link #building}) join {@code claims}, which must be thread-safe.
     */
    static <T> T within(String pool, String operation, List<Claims.Held> claims, Supplier<T> call) {
        Claims.Claim c = claims.getFirst().claim();
        Running running = new Running(pool, new Job(c.id(), c.volume(), c.operation()), operation, claims);
        return ScopedValue.where(CURRENT, running).call(call::get);
    }

    private Optional<Running> running() {
        return CURRENT.isBound() && CURRENT.get().pool().equals(pool) ? Optional.of(CURRENT.get()) : Optional.empty();
    }

    @Override
    public Optional<Job> current() {
        return running().map(Running::job);
    }

    @Override
    public boolean isRunning(String id) {
        return storage.claims().isRunning(pool, id);
    }

    @Override
    public void reached(String stage) {
        // Stages are those of jobs: a quick create under the lock passes the same code without one.
        running().ifPresent(r -> storage.stageHook().reached(r.operation(), stage));
    }

    @Override
    public <T> T locked(Supplier<T> step) {
        Optional<Running> running = running();
        if (running.isEmpty()) {
            return step.get();
        }
        try (FileLocks.Held _ = storage.lockPool(pool, running.get().operation())) {
            return step.get();
        }
    }

    @Override
    public void building(String name) {
        Optional<Running> running = running();
        if (running.isEmpty() || running.get().job().volume().equals(name)) {
            return;
        }
        Running r = running.get();
        try (FileLocks.Held _ = storage.lockPool(pool, r.operation())) {
            r.claims().add(storage.claims().record(pool, name, Claims.Use.CREATE, r.operation(),
                    Failures.volume(name, pool)));
        }
    }
}
