package org.libstorage.spi;

import java.util.Optional;

/**
 * The jobs of one pool as its driver sees them ({@link BackendContext#jobs()}).
 *
 * <p>The core runs the driver calls that move data ({@code createVolume} with an allocation,
 * {@code createVolumeFrom}, {@code wipeVolume}, and the channels of {@code openRead} and
 * {@code openWrite}) outside the pool's lock, inside a job: {@link #current()} then names it.
 */
public interface Jobs {
    /** The job the calling thread works for, if any. */
    Optional<Job> current();

    /**
     * Whether job {@code id} is still running, in this process or another. False for a job that
     * ended or whose process died, and for ids never recorded.
     */
    boolean isRunning(String id);

    /**
     * Marks a named stage of the current job ({@code "temporary-created"}, {@code "filled"}, ...);
     * does nothing outside a job. Returns at once unless a test installed a
     * {@link org.libstorage.StageHook}, which may hold
     * the thread there (to kill the process at that point) or throw.
     */
    void reached(String stage);

    /**
     * Runs {@code step} under the pool's lock, for the steps of a job that change what the whole
     * pool shares (a partition table) and so must not overlap other calls on the pool. Outside a
     * job it simply runs {@code step} (the caller holds the lock already).
     */
    <T> T locked(java.util.function.Supplier<T> step);

    /**
     * Tells the core that the current job is making volume {@code name}, when that is not the name
     * it was asked for (a partition named by the kernel). Until the job commits, that volume is kept
     * out of listings; if the job's process dies, the next operation on the pool deletes it. Call
     * it inside {@link #locked} with the step that made the volume. Outside a job it does nothing.
     */
    void building(String name);

    /**
     * Runs {@code fill}, the data-moving step of a job that made a volume first; if it fails,
     * runs {@code undo} (which removes that volume) under the pool's lock and rethrows, with a
     * failure of the undo attached as suppressed. An interrupt that stopped the fill is set aside
     * while undoing, so that it cannot cut the undo short, and restored afterwards.
     */
    default <T> T fillOrUndo(java.util.function.Supplier<T> fill, Runnable undo) {
        try {
            return fill.get();
        } catch (RuntimeException | Error e) {
            boolean interrupted = Thread.interrupted();
            try {
                locked(() -> {
                    undo.run();
                    return null;
                });
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            throw e;
        }
    }

    /** No jobs: for drivers opened outside a Storage (tests, tools). */
    Jobs NONE = new Jobs() {
        @Override
        public Optional<Job> current() {
            return Optional.empty();
        }

        @Override
        public boolean isRunning(String id) {
            return false;
        }

        @Override
        public void reached(String stage) {
        }

        @Override
        public <T> T locked(java.util.function.Supplier<T> step) {
            return step.get();
        }

        @Override
        public void building(String name) {
        }
    };
}
