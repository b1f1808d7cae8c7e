/**
 * The one data path of every backend: bounded channels over files, block devices and byte
 * ranges of them ({@link org.libstorage.backends.blockio.FdChannel}), one copy engine
 * ({@link org.libstorage.backends.blockio.CopyEngine}), one wipe engine
 * ({@link org.libstorage.backends.blockio.WipeEngine}) with one random-data strategy, and the
 * "device in use" guard ({@link org.libstorage.backends.blockio.DeviceGuard}). A backend supplies
 * media ({@link org.libstorage.backends.blockio.DataSource},
 * {@link org.libstorage.backends.blockio.DataSink}), not loops; an iSCSI LUN keeps its own
 * channel and plugs in as such a medium.
 *
 * <h2>How things fail</h2>
 * Every failure of a medium — a channel's {@code read}/{@code write} included — is an unchecked
 * {@link org.libstorage.StorageException} whose cause is what the lower layer threw
 * ({@code NativeCallException} with function and errno, {@code IscsiException} with the SCSI
 * sense): {@code ENOSPC}/{@code EDQUOT}/{@code EFBIG} are {@code NO_SPACE}, {@code EACCES}/
 * {@code EPERM}/{@code EROFS} {@code PERMISSION_DENIED}, {@code EBUSY} {@code DEVICE_BUSY},
 * {@code EIO} {@code IO_ERROR}, others {@code NATIVE_FAILURE}. Channels declare
 * {@code IOException} because NIO's interfaces do, but the only one they throw is
 * {@code ClosedChannelException}, for use after {@code close()}.
 *
 * <h2>Interrupts</h2>
 * One rule everywhere: between two chunks of I/O (a channel call, a chunk of a copy or wipe) the
 * thread's interrupt status is looked at, not cleared, and a set one stops the work with
 * {@code CANCELLED}. The status stays set for the caller, so the code that cleans up (removing a
 * half-made volume) and the core see it too.
 *
 * <p>Offsets are not checked here against a volume's capacity: the core does that once (see
 * {@code org.libstorage.internal}); a channel only refuses to go past its own end.
 *
 * <p>Exported to {@code org.libstorage.storagectl} alone, whose upload and download run on the
 * same engine.
 */
package org.libstorage.backends.blockio;
