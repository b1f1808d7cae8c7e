package org.libstorage;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * A change to the host's storage, as the event journal recorded it ({@link Storage#events}).
 * Every process that changes a pool appends the event itself, so events from all processes on
 * the host share one sequence: {@link #sequence()} numbers them from 1 without gaps, and a
 * subscriber that remembers the last one it saw resumes from the next.
 */
public sealed interface StorageEvent permits StorageEvent.PoolEvent, StorageEvent.VolumeEvent,
        StorageEvent.JobEvent {

    /** For {@link Storage#events}: replay from the oldest event the journal keeps. */
    long OLDEST = 0;
    /** For {@link Storage#events}: no replay, only the events that come after the call. */
    long NEW = -1;

    /** The event's place in the host's journal: 1, 2, 3, ... without gaps. */
    long sequence();

    /** When the change was made (the clock of the process that made it). */
    Instant time();

    /** The process that made the change. */
    long pid();

    /** The pool's UUID. */
    UUID poolUuid();

    /** The pool's name. */
    String pool();

    /** The event's kind as one word, as the journal and storagectl write it ({@code volume-created}). */
    String operation();

    /** A pool was defined, undefined, built, started, stopped, deleted, refreshed, or its autostart changed. */
    record PoolEvent(long sequence, Instant time, long pid, UUID poolUuid, String pool, Kind kind)
            implements StorageEvent {
        public enum Kind {
            DEFINED, UNDEFINED, BUILT, STARTED, STOPPED, DELETED, REFRESHED, AUTOSTART_ENABLED, AUTOSTART_DISABLED
        }

        @Override
        public String operation() {
            return "pool-" + word(kind);
        }
    }

    /**
     * A volume changed. {@code APPEARED} and {@code DISAPPEARED} are files that something other
     * than libstorage made or removed in an active dir or fs pool's directory. {@code source} is
     * the key of the volume a clone was made from (or a snapshot taken of).
     */
    record VolumeEvent(long sequence, Instant time, long pid, UUID poolUuid, String pool, String volume,
                       Optional<String> key, Kind kind, Optional<String> source) implements StorageEvent {
        public enum Kind {
            CREATED, DELETED, RESIZED, WIPED, UPLOADED, CLONED, APPEARED, DISAPPEARED
        }

        @Override
        public String operation() {
            return "volume-" + word(kind);
        }
    }

    /**
     * A job (a create that allocates, a clone, a wipe) started, came a tenth further
     * ({@code percent}), or ended; a failed one carries its error's code.
     */
    record JobEvent(long sequence, Instant time, long pid, UUID poolUuid, String pool, String volume,
                    String job, String jobOperation, Kind kind, OptionalInt percent, Optional<ErrorCode> error)
            implements StorageEvent {
        public enum Kind {
            STARTED, PROGRESSED, FINISHED, FAILED, CANCELLED
        }

        @Override
        public String operation() {
            return "job-" + word(kind);
        }
    }

    private static String word(Enum<?> kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
