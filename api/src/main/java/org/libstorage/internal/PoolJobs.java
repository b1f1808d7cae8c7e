package org.libstorage.internal;

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
    /** The job the current thread runs a driver call for, and the pool it belongs to. */
    private static final ScopedValue<Running> CURRENT = ScopedValue.newInstance();

    private record Running(String pool, Job job) {
    }

    private final String pool;
    private final Claims claims;
    private final StageHook hook;

    PoolJobs(String pool, Claims claims, StageHook hook) {
        this.pool = pool;
        this.claims = claims;
        this.hook = hook;
    }

    /** Runs {@code call} as part of {@code claim}'s job. */
    static <T> T within(String pool, Claims.Held claim, Supplier<T> call) {
        Claims.Claim c = claim.claim();
        return ScopedValue.where(CURRENT, new Running(pool, new Job(c.id(), c.volume(), c.operation()))).call(call::get);
    }

    @Override
    public Optional<Job> current() {
        return CURRENT.isBound() && CURRENT.get().pool().equals(pool) ? Optional.of(CURRENT.get().job())
                : Optional.empty();
    }

    @Override
    public boolean isRunning(String id) {
        return claims.isRunning(pool, id);
    }

    @Override
    public void reached(String stage) {
        hook.reached(current().map(Job::operation).orElse("unknown"), stage);
    }

    /** The hook call for a stage the core itself marks. */
    static void reached(StageHook hook, String operation, String stage) {
        hook.reached(operation, stage);
    }
}
