package org.libstorage.backends.blockio;

import java.nio.file.Path;
import org.libstorage.ErrorCode;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.Stat;

/**
 * A byte range of a block device: a partition, an LV, a zvol, or a window of any of them.
 * {@link #zero} is {@code BLKZEROOUT} and {@link #discard} {@code BLKDISCARD} over the sectors
 * inside the range (the kernel offloads them where the device can, and writes zeros itself
 * otherwise); a part of a sector at either edge is written as zeros (zero) or left alone
 * (discard, which promises nothing about what reads back). A device opened for writing is
 * opened exclusively ({@code O_EXCL}), so nothing can mount it while the channel is open.
 */
public final class DeviceRangeChannel extends FdChannel {
    private final int sectorSize;

    private DeviceRangeChannel(Fd fd, Path path, long base, long length, boolean writable, int sectorSize,
                               IoContext context) {
        super(fd, true, path, base, length, writable, context);
        this.sectorSize = sectorSize;
    }

    /**
     * Opens {@code [offset, offset + length)} of the block device at {@code device} ({@code length}
     * -1: to its end). For writing, the device must be unused (see {@link DeviceGuard}) and is
     * opened exclusively.
     *
     * @throws org.libstorage.StorageException {@code NO_SUCH_DEVICE}, {@code INVALID_ARGUMENT}
     *         (not a block device, or the range does not lie on it), {@code DEVICE_BUSY}
     */
    public static DeviceRangeChannel open(Path device, long offset, long length, boolean write, IoContext context) {
        DeviceGuard.BlockDevice block = DeviceGuard.requireBlockDevice(device, context.object(), context.operation());
        if (write) {
            DeviceGuard.requireUnused(block, context.object(), context.operation());
        }
        Libc libc = Libc.instance();
        Fd fd;
        try {
            fd = libc.open(device, (write ? Libc.O_RDWR | Libc.O_EXCL : Libc.O_RDONLY) | Libc.O_CLOEXEC, 0);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EBUSY) {
                throw context.failure(ErrorCode.DEVICE_BUSY, "The device " + device
                        + " is in use (another program holds it open exclusively); stop that user first.", e);
            }
            throw context.failure("open " + device, e);
        }
        try {
            Stat stat = libc.statx(fd);
            if (!stat.isBlockDevice()) {
                throw context.failure(ErrorCode.INVALID_ARGUMENT, device + " is no longer a block device.");
            }
            long size = libc.blockDeviceSize(fd);
            int sector = libc.logicalSectorSize(fd);
            long end = length < 0 ? size : offset + length;
            if (offset < 0 || offset > size || end > size || end < offset) {
                throw context.failure(ErrorCode.INVALID_ARGUMENT, "The range at byte " + offset
                        + (length < 0 ? " to the end" : " of " + length + " bytes") + " does not lie on " + device
                        + " (" + size + " bytes).");
            }
            return new DeviceRangeChannel(fd, device, offset, end - offset, write, sector, context);
        } catch (NativeCallException e) {
            fd.close();
            throw context.failure("look at the device " + device, e);
        } catch (RuntimeException | Error e) {
            fd.close();
            throw e;
        }
    }

    @Override
    public void zero(long offset, long count) {
        requireWritable();
        requireRoom(offset, count);
        long start = base + offset;
        long end = start + count;
        long alignedStart = roundUp(start);
        long alignedEnd = end / sectorSize * sectorSize;
        if (alignedStart >= alignedEnd) {
            writeZeros(offset, count);
            return;
        }
        if (alignedStart > start) {
            writeZeros(offset, alignedStart - start);
        }
        try {
            libc.blockZeroOut(fd, alignedStart, alignedEnd - alignedStart);
        } catch (NativeCallException e) {
            throw context.failure("zero bytes " + alignedStart + " to " + alignedEnd + " of " + path, e);
        }
        written = true;
        if (end > alignedEnd) {
            writeZeros(alignedEnd - base, end - alignedEnd);
        }
    }

    @Override
    public void discard(long offset, long count) {
        requireWritable();
        requireRoom(offset, count);
        long start = roundUp(base + offset);
        long end = (base + offset + count) / sectorSize * sectorSize;
        if (start >= end) {
            return;
        }
        try {
            libc.blockDiscard(fd, start, end - start);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EOPNOTSUPP) {
                throw context.failure(ErrorCode.OPERATION_UNSUPPORTED, "The device " + path
                        + " does not support discard (TRIM); wipe with ZERO instead.", e);
            }
            throw context.failure("discard bytes " + start + " to " + end + " of " + path, e);
        }
        written = true;
    }

    private long roundUp(long value) {
        return (value + sectorSize - 1) / sectorSize * sectorSize;
    }

    @Override
    public void flush() {
        try {
            libc.fsync(fd);
        } catch (NativeCallException e) {
            throw context.failure("flush " + path, e);
        }
    }

    @Override
    void finish() {
        if (written) {
            flush();
        }
    }
}
