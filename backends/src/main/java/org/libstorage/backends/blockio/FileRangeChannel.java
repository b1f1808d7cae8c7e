package org.libstorage.backends.blockio;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalLong;
import org.libstorage.ErrorCode;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.NativeCallException;

/**
 * A byte range of a regular file. Holes are found with {@code SEEK_DATA}/{@code SEEK_HOLE} and
 * read as zeros without I/O; {@link #zero} does what the file's {@link Zeroing} says. A written
 * channel extends the file to the last byte it wrote (or zeroed) when it closes, and never
 * shortens it. The copy engine reflinks ({@code FICLONE}) and uses {@code copy_file_range}
 * between two of these.
 */
public final class FileRangeChannel extends FdChannel {
    /** How {@link #zero} makes a range read as zeros. */
    public enum Zeroing {
        /**
         * Nothing to do: the range reads as zeros already (a file just created or truncated, and
         * written at most once per byte, as the copy engine does). Holes stay holes.
         */
        ALREADY_ZERO,
        /** Punch a hole ({@code FALLOC_FL_PUNCH_HOLE}): the blocks are freed. */
        PUNCH,
        /** Zero in place and keep the blocks ({@code FALLOC_FL_ZERO_RANGE}): for preallocated files. */
        KEEP_ALLOCATED,
        /** Write zeros: the file stays dense (a download without {@code --sparse}). */
        WRITE
    }

    private static final int PUNCH = Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE;
    private static final int ZERO_RANGE = Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE;

    private final Zeroing zeroing;
    /** The file's size as this channel knows it: what it was, extended by what it wrote. */
    private long fileSize;
    private boolean canPunch = true;
    private boolean canZeroRange = true;

    private FileRangeChannel(Fd fd, boolean ownsFd, Path path, long base, long length, boolean writable,
                             Zeroing zeroing, long fileSize, IoContext context) {
        super(fd, ownsFd, path, base, length, writable, context);
        this.zeroing = zeroing;
        this.fileSize = fileSize;
    }

    /**
     * A channel reading {@code [offset, offset + length)} of an open regular file ({@code length}
     * -1: to its end). Takes ownership of {@code fd}, closing it with the channel.
     */
    public static FileRangeChannel reading(Fd fd, Path path, long offset, long length, IoContext context) {
        return of(fd, true, path, offset, length, false, Zeroing.WRITE, context);
    }

    /**
     * A channel writing (and reading) {@code [offset, offset + length)} of an open regular file
     * ({@code length} -1: to its end; the range may reach past the end, which grows the file).
     * Takes ownership of {@code fd}, closing it with the channel.
     */
    public static FileRangeChannel writing(Fd fd, Path path, long offset, long length, Zeroing zeroing,
                                           IoContext context) {
        return of(fd, true, path, offset, length, true, zeroing, context);
    }

    /**
     * As {@link #writing}, over a descriptor the caller keeps: closing the channel finishes it
     * but leaves {@code fd} open.
     */
    public static FileRangeChannel borrowing(Fd fd, Path path, long offset, long length, Zeroing zeroing,
                                             IoContext context) {
        return of(fd, false, path, offset, length, true, zeroing, context);
    }

    /**
     * Opens a file of the caller's (an upload's input) for reading: its first {@code maxLength}
     * bytes, or all of it when {@code maxLength} is -1 or more than it holds.
     */
    public static FileRangeChannel openForReading(Path file, long maxLength, IoContext context) {
        FileRangeChannel all = reading(open(file, Libc.O_RDONLY, context), file, 0, -1, context);
        if (maxLength < 0 || maxLength >= all.size()) {
            return all;
        }
        return new FileRangeChannel(all.fd, true, file, 0, maxLength, false, Zeroing.WRITE, all.fileSize, context);
    }

    /**
     * Creates (or empties) a file of the caller's (a download's output) to hold {@code length}
     * bytes; its mode is 0666 less the umask, as any tool's output file. With
     * {@link Zeroing#ALREADY_ZERO} runs of zeros stay holes, with {@link Zeroing#WRITE} they are written.
     */
    public static FileRangeChannel createForWriting(Path file, long length, Zeroing zeroing, IoContext context) {
        if (zeroing != Zeroing.ALREADY_ZERO && zeroing != Zeroing.WRITE) {
            throw new IllegalArgumentException("a new file is zero already: " + zeroing);
        }
        return writing(open(file, Libc.O_RDWR | Libc.O_CREAT | Libc.O_TRUNC, context), file, 0, length, zeroing, context);
    }

    private static Fd open(Path file, int flags, IoContext context) {
        try {
            Fd fd = Libc.instance().open(file, flags, 0666);
            if (!Libc.instance().statx(fd).isRegularFile()) {
                fd.close();
                throw context.failure(ErrorCode.INVALID_ARGUMENT, file + " is not a regular file.");
            }
            return fd;
        } catch (NativeCallException e) {
            if (e.errno() == Libc.ENOENT) {
                throw context.failure(ErrorCode.INVALID_ARGUMENT, "Cannot read " + file + ": no such file or directory.", e);
            }
            throw context.failure("open " + file, e);
        }
    }

    private static FileRangeChannel of(Fd fd, boolean owns, Path path, long offset, long length, boolean writable,
                                       Zeroing zeroing, IoContext context) {
        Objects.requireNonNull(zeroing, "zeroing");
        long size;
        try {
            size = Libc.instance().statx(fd).size();
        } catch (NativeCallException e) {
            if (owns) {
                fd.close();
            }
            throw context.failure("look at " + path, e);
        }
        long bounded = length < 0 ? Math.max(0, size - offset) : length;
        return new FileRangeChannel(fd, owns, path, offset, bounded, writable, zeroing, size, context);
    }

    /**
     * Before the engine fills a new file: makes it as long as the range, so holes the copy
     * skips are part of it. Only for {@link Zeroing#ALREADY_ZERO}, where that changes no byte.
     */
    void reserve() {
        if (zeroing == Zeroing.ALREADY_ZERO && fileSize < base + length) {
            setFileSize(base + length);
        }
    }

    /** Whether the range is the whole file from byte 0, so a reflink of the file is a copy of the range. */
    boolean wholeFile() {
        return base == 0 && length == fileSize;
    }

    Zeroing zeroing() {
        return zeroing;
    }

    Fd fd() {
        return fd;
    }

    @Override
    public boolean knowsHoles() {
        return true;
    }

    @Override
    public long nextData(long from) {
        if (from >= length) {
            return length;
        }
        OptionalLong data;
        try {
            data = libc.seekData(fd, base + from);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EINVAL || e.errno() == Libc.EOPNOTSUPP) {
                return from; // no SEEK_DATA here: all data
            }
            throw context.failure("look for data in " + path, e);
        }
        return data.isEmpty() ? length : Math.min(length, Math.max(from, data.getAsLong() - base));
    }

    @Override
    public long nextHole(long from) {
        if (from >= length) {
            return length;
        }
        try {
            return Math.min(length, libc.seekHole(fd, base + from).orElse(base + length) - base);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EINVAL || e.errno() == Libc.EOPNOTSUPP) {
                return length;
            }
            throw context.failure("look for holes in " + path, e);
        }
    }

    @Override
    void wrote(long end) {
        fileSize = Math.max(fileSize, base + end);
    }

    @Override
    public void zero(long offset, long count) {
        requireWritable();
        requireRoom(offset, count);
        if (count == 0) {
            return;
        }
        switch (zeroing) {
            case ALREADY_ZERO -> {
                // Past the file's end it grows on close; inside it the range is zero already.
            }
            case WRITE -> writeZeros(offset, count);
            case PUNCH -> punchOrWrite(offset, count);
            case KEEP_ALLOCATED -> zeroInPlace(offset, count);
        }
        highWater(offset + count);
    }

    /** Zeroed ranges past the file's end still make it grow to them on close, as written ones do. */
    private long highWater = -1;

    private void highWater(long end) {
        highWater = Math.max(highWater, base + end);
    }

    /** Punches the part that lies inside the file and holds data; what lies past its end reads as zeros already. */
    private void punchOrWrite(long offset, long count) {
        long start = base + offset;
        long end = Math.min(base + offset + count, fileSize);
        if (start >= end) {
            return;
        }
        OptionalLong data = seekData(start);
        if (data.isEmpty() || data.getAsLong() >= end) {
            return; // a hole already
        }
        start = data.getAsLong();
        if (canPunch) {
            try {
                libc.fallocate(fd, PUNCH, start, end - start);
                return;
            } catch (NativeCallException e) {
                if (e.errno() != Libc.EOPNOTSUPP) {
                    throw context.failure("punch bytes " + start + " to " + end + " of " + path, e);
                }
                canPunch = false;
            }
        }
        writeZerosOverData(start - base, end - start);
    }

    private void zeroInPlace(long offset, long count) {
        long start = base + offset;
        if (canZeroRange) {
            try {
                libc.fallocate(fd, ZERO_RANGE, start, count);
                return;
            } catch (NativeCallException e) {
                if (e.errno() != Libc.EOPNOTSUPP) {
                    throw context.failure("zero bytes " + start + " to " + (start + count) + " of " + path, e);
                }
                canZeroRange = false; // tmpfs: punch, then allocate again
            }
        }
        if (canPunch) {
            try {
                libc.fallocate(fd, PUNCH, start, count);
                libc.fallocate(fd, Libc.FALLOC_FL_KEEP_SIZE, start, count);
                return;
            } catch (NativeCallException e) {
                if (e.errno() != Libc.EOPNOTSUPP) {
                    throw context.failure("zero bytes " + start + " to " + (start + count) + " of " + path, e);
                }
                canPunch = false;
            }
        }
        writeZeros(offset, count);
    }

    /** Writes zeros over the data extents in {@code [offset, offset + count)}; holes read as zeros already. */
    private void writeZerosOverData(long offset, long count) {
        long position = offset;
        long end = offset + count;
        while (position < end) {
            long data = nextData(position);
            if (data >= end) {
                return;
            }
            long hole = Math.min(end, nextHole(data));
            writeZeros(data, hole - data);
            position = hole;
        }
    }

    private OptionalLong seekData(long absolute) {
        try {
            return libc.seekData(fd, absolute);
        } catch (NativeCallException e) {
            return OptionalLong.of(absolute);
        }
    }

    /** TRIM of a file: its blocks are punched out, and the filesystem may discard them. */
    @Override
    public void discard(long offset, long count) {
        requireWritable();
        requireRoom(offset, count);
        long start = base + offset;
        long end = Math.min(start + count, fileSize);
        if (start >= end) {
            return;
        }
        try {
            libc.fallocate(fd, PUNCH, start, end - start);
        } catch (NativeCallException e) {
            if (e.errno() == Libc.EOPNOTSUPP) {
                throw context.failure(ErrorCode.OPERATION_UNSUPPORTED, "The filesystem holding " + path
                        + " cannot punch holes, so it cannot trim; wipe with ZERO instead.", e);
            }
            throw context.failure("trim bytes " + start + " to " + end + " of " + path, e);
        }
    }

    @Override
    public long rangeChunk() {
        return 1L << 30; // fallocate is metadata only: one call per GiB, between interrupt checks
    }

    @Override
    public void flush() {
        try {
            libc.fdatasync(fd);
        } catch (NativeCallException e) {
            throw context.failure("flush " + path, e);
        }
    }

    /** Sets the file's size (a new copy's, before the engine fills it). */
    public void setFileSize(long size) {
        try {
            libc.ftruncate(fd, size);
        } catch (NativeCallException e) {
            throw context.failure("set the size of " + path + " to " + size + " bytes", e);
        }
        fileSize = size;
    }

    /** Extends the file to the last byte written or zeroed through the channel; never shortens it. */
    @Override
    void finish() {
        if (highWater > fileSize) {
            setFileSize(highWater);
        }
    }
}
