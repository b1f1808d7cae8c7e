/**
 * The core behind {@link org.libstorage.Storage}: the pool registry, locking, and pool and
 * volume handles. Not exported.
 *
 * <h2>What backends can rely on</h2>
 * <ul>
 * <li><b>Definitions.</b> {@code PoolBackend.validate} is called by {@code definePool} before
 *     anything is written, for pools of the backend's type whether or not the backend is
 *     available here; it may fill defaults but must keep the name, type and any UUID. Pool
 *     names are already valid ({@link org.libstorage.Names}, and short enough for the lock
 *     file). A driver's definition always has a UUID.</li>
 * <li><b>Availability.</b> No driver is opened, and no driver method called, for a type whose
 *     backend is missing or reports {@code status()} unavailable: the core answers
 *     {@code BACKEND_UNAVAILABLE} itself. {@code open} is called once per definition and
 *     Storage; the {@code BackendContext.stateDir} exists when it is called. A driver that is
 *     {@link java.lang.AutoCloseable} is closed when its definition changes or the Storage closes.</li>
 * <li><b>Serialization and jobs.</b> Driver calls run under the pool's lock, held in this JVM
 *     and across processes, so they never overlap each other, with these exceptions, which run
 *     as <em>jobs</em> outside the lock: {@code createVolume} of a volume with an allocation,
 *     {@code createVolumeFrom}, {@code wipeVolume}, and the use of the channels
 *     {@code openRead}/{@code openWrite} return (opening them runs under the lock). Before such a
 *     call the core has recorded a claim in the pool's run state ({@code <runDir>/storage/jobs/<pool>/}):
 *     the volume written or created (for a copy, also the source, being read; in the source's
 *     pool when that is another one), the operation, the process. While it runs the claimed
 *     volumes get no other call that writes them (delete, resize, wipe, upload, snapshot:
 *     {@code VOLUME_BUSY}), a volume being written or created is not read either, and the pool
 *     is not stopped, deleted or undefined; but refreshes, lookups and other volumes' operations go on
 *     concurrently, including another job's. So a driver may assume its claimed volumes stay
 *     its own and its pool stays active, and must keep any state it shares between calls safe for
 *     concurrent use. A job step that changes what the whole pool shares (a partition table)
 *     runs inside {@code Jobs.locked}. {@code BackendContext.jobs().current()} names the job of
 *     the calling thread.</li>
 * <li><b>Nothing half-made.</b> A driver whose {@code fillsInPlace()} is false fills a new volume
 *     under {@code Job.temporaryName()} and renames it into place when complete; its
 *     {@code refresh} never lists a temporary and removes those whose job is not running
 *     ({@code Jobs.isRunning}). One that fills in place (the default: LVs, partitions, zvols)
 *     needs nothing more: the core keeps a volume being created out of listings and, if the
 *     job's process dies, deletes it through {@code deleteVolume} at the next operation that
 *     looks at the pool's claims (a change or a refresh); a driver that makes a volume under
 *     another name than asked reports it with {@code Jobs.building}. The claims themselves are
 *     files locked by the job's process, so they die with it ({@code kill -9} included).</li>
 * <li><b>Backend state.</b> {@code isActive} is asked when a pool starts, when a Storage first
 *     meets an active pool (each activation), and on every {@code refresh}; other calls trust that
 *     answer, so a driver must report a vanished pool from its other calls too (as
 *     {@code POOL_NOT_ACTIVE}).</li>
 * <li><b>State.</b> {@code start} is only called on an inactive pool, then {@code isActive}
 *     and {@code refresh} (if either fails, or reports the pool inactive, {@code stop} is
 *     called and the pool stays inactive). {@code build} and {@code delete} only on an inactive
 *     pool; {@code stop}, {@code refresh} and all volume operations only on an active one.
 *     "Active" is the core's mark (a run-state file) and the driver's {@code isActive()}; a
 *     driver answering false clears the mark. While active, the driver is the one opened with
 *     the definition the pool was started with.</li>
 * <li><b>Volumes.</b> Volume names are valid; {@code createVolume}, {@code createVolumeFrom}
 *     and {@code snapshotVolume} are not called for a name the last refresh listed (the driver
 *     still sees {@code EEXIST} races with other processes). A volume passed to a driver is the
 *     {@code VolumeDefinition} the last refresh (or the driver's own create/resize) returned. The
 *     definitions a driver returns replace the cached ones, so they must be complete (key,
 *     path, capacity, allocation). {@code resizeVolume} gets capacity &gt; 0 and, unless
 *     {@code allowShrink}, capacity &ge; the current one. {@code openRead}/{@code openWrite} get
 *     offset in [0, capacity] and length -1 (to the end) or a length that stays within the
 *     capacity; {@code VolumeSource.open()} reads the whole source ({@code openRead(v, 0, -1)}).</li>
 * <li><b>Errors.</b> A driver's {@code StorageException} reaches the caller unchanged. Any
 *     other {@code RuntimeException} becomes {@code INTERNAL_ERROR} with it as the cause, or
 *     {@code CANCELLED} when the thread was interrupted (or the cause is an interrupted I/O).
 *     Long operations should check {@code Thread.interrupted()} and throw {@code CANCELLED}
 *     themselves, leaving nothing behind.</li>
 * </ul>
 */
package org.libstorage.internal;
