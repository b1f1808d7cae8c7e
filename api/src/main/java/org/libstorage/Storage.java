package org.libstorage;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The entry point: the host's defined pools, its volumes and its devices. Thread-safe; one
 * instance per configuration directory is enough for a process, and several processes may
 * share a directory (pools are locked across processes).
 *
 * <pre>{@code
 * try (Storage storage = Storage.open(StorageConfig.ofDirectory(dir))) {
 *     Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, "images")
 *             .targetPath(Path.of("/var/lib/images")).build());
 *     pool.build(BuildMode.NO_OVERWRITE);
 *     pool.start();
 *     Volume disk = pool.createVolume(VolumeDefinition.builder("vm1.img", 10L << 30).build());
 * }
 * }</pre>
 */
public interface Storage extends AutoCloseable {

    /** Opens the default configuration: {@link StorageConfig#defaults()}. */
    static Storage open() {
        return open(StorageConfig.defaults());
    }

    static Storage open(StorageConfig config) {
        return org.libstorage.internal.DefaultStorage.open(config);
    }

    /** Every defined pool, active or not, sorted by name. */
    List<Pool> pools();

    Optional<Pool> pool(String name);

    /** The pool named {@code name}, or {@link ErrorCode#NO_SUCH_POOL}. */
    Pool requirePool(String name);

    Optional<Pool> poolByUuid(UUID uuid);

    /** The pool whose target path is {@code path} (any spelling that resolves to it). */
    Optional<Pool> poolByTargetPath(Path path);

    /**
     * Defines (persistently) a new pool, or replaces the definition of an inactive pool with the
     * same name and UUID. Assigns a UUID when the definition has none.
     */
    Pool definePool(PoolDefinition definition);

    /** Parses libvirt pool XML and defines it as {@link #definePool(PoolDefinition)} does. */
    Pool definePoolXml(String xml);

    /** The volume whose key is {@code key}, searching every active pool. */
    Optional<Volume> volumeByKey(String key);

    /** The volume at {@code path} (any spelling that resolves to it), searching every active pool. */
    Optional<Volume> volumeByPath(Path path);

    /** Every block device the host sees, probed. */
    List<HostDevice> hostDevices();

    /**
     * Sources a pool of {@code type} could be built from: volume groups, devices with a
     * filesystem or partition table, targets at an iSCSI portal named in {@code hint}.
     */
    List<PoolSource> findPoolSources(PoolType type, Optional<PoolSource> hint);

    /** For every pool type, whether its backend can run here and, if not, why. */
    List<BackendStatus> backends();

    /** Starts every pool marked autostart that is not running; returns those it started. */
    List<Pool> startAutostartPools();

    /**
     * The host's storage events: first those the journal holds from {@code fromSequence} on
     * (inclusive; {@link StorageEvent#OLDEST} for all it keeps, {@link StorageEvent#NEW} for none),
     * then each new one as any process on the host makes a change, until the subscriber cancels
     * or this Storage closes. Each subscription reads the journal on its own thread, delivers
     * events in sequence order and never more than requested.
     *
     * <p>While a subscription runs, files that appear in or vanish from an active dir or fs pool's
     * directory by other means than libstorage become {@code APPEARED}/{@code DISAPPEARED} events
     * (one process on the host watches each pool).
     *
     * @throws StorageException {@link ErrorCode#EVENTS_EXPIRED} when {@code fromSequence} is older
     *         than the oldest event kept (the message names it); {@link ErrorCode#INVALID_ARGUMENT}
     *         when it lies past the next event to come. A subscription that falls behind the
     *         journal's retention later gets the same {@code EVENTS_EXPIRED} through {@code onError}.
     */
    java.util.concurrent.Flow.Publisher<StorageEvent> events(long fromSequence);

    @Override
    void close();
}
