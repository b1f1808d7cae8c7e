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
 * <li><b>Serialization.</b> Every driver call runs under the pool's lock, held in this JVM and
 *     across processes, so calls on one pool never overlap. A copy holds the locks of both
 *     pools (taken in name order). Channels returned by {@code openRead}/{@code openWrite}
 *     are used after the lock is released.</li>
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
