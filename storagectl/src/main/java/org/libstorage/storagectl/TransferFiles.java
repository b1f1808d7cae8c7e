package org.libstorage.storagectl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.OptionalLong;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.Volume;

/**
 * The checks around vol-upload's and vol-download's copy: what kind of file the user named,
 * whether its size is known, whether the data fits, and whether the destination is the volume
 * itself. Every refusal happens before a byte is written, names the file and says why.
 */
final class TransferFiles {
    /** The granule in which uploads turn zeros into holes (the dir backend's block). */
    private static final int ZERO_BLOCK = 4096;

    private TransferFiles() {
    }

    /** An opened upload source; its size is known only for a regular file. */
    record Source(FileChannel channel, OptionalLong size, Path file) {
        /** The bytes of the first {@code total} that are not whole zero blocks (reads the file). */
        long dataBytes(long total) throws IOException {
            long data = 0;
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            long position = 0;
            while (position < total) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), total - position));
                int n = channel.read(buffer, position);
                if (n < 0) {
                    break;
                }
                buffer.flip();
                for (int at = 0; at < n; at += ZERO_BLOCK) {
                    int end = Math.min(n, at + ZERO_BLOCK);
                    if (!zero(buffer, at, end)) {
                        data += end - at;
                    }
                }
                position += n;
            }
            return data;
        }
    }

    private static boolean zero(ByteBuffer buffer, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    static Source openSource(Path file) {
        String object = "file " + file;
        BasicFileAttributes attributes = attributes(file, object, "vol-upload");
        if (attributes.isDirectory()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, "vol-upload",
                    file + " is a directory; upload reads a file, a device or a pipe.");
        }
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            return new Source(channel, attributes.isRegularFile() ? OptionalLong.of(channel.size()) : OptionalLong.empty(), file);
        } catch (IOException e) {
            throw failure(e, object, "vol-upload", "read");
        }
    }

    /**
     * Refuses an upload of {@code total} bytes that cannot fit the pool's free space: the data
     * (zero blocks become holes) beyond what the volume already has allocated. The range check
     * against the volume's end is the library's own ({@code Volume.upload} with the length).
     */
    static void requireRoom(Volume volume, long offset, long total, Source source) throws IOException {
        Path file = source.file();
        if (total <= 0 || offset > volume.info().capacity() || total > volume.info().capacity() - offset) {
            return; // nothing to write, or the library refuses the range itself with its numbers
        }
        volume.pool().refresh();
        long available = volume.pool().info().available();
        long allocated = volume.info().allocation();
        if (total - allocated <= available) {
            return; // fits even if every byte is data
        }
        // Might not fit: count the data the volume would really take before deciding.
        long data = source.dataBytes(total);
        if (data - allocated > available) {
            throw new StorageException(ErrorCode.NO_SPACE, "volume '" + volume.name() + "'", "vol-upload",
                    "Uploading " + file + " (" + total + " bytes, " + data + " of them data) into volume '" + volume.name()
                            + "' needs up to " + (data - allocated) + " more bytes, but pool '" + volume.pool().name()
                            + "' has only " + available + " bytes free; nothing was written.");
        }
    }

    /** An opened download destination: a regular file is truncated and may get holes; anything else is written in order. */
    record Destination(FileChannel channel, boolean regular, Path file) {
        void write(FileChannel out, ByteBuffer buffer) {
            try {
                out.write(buffer);
            } catch (IOException e) {
                throw failure(e, "file " + file, "vol-download", "write to");
            }
        }

        void setLength(FileChannel out, long length) {
            try {
                if (out.size() < length) {
                    out.write(ByteBuffer.allocate(1), length - 1);
                } else {
                    out.truncate(length);
                }
            } catch (IOException e) {
                throw failure(e, "file " + file, "vol-download", "write to");
            }
        }
    }

    /**
     * Opens (creating if needed) where a download goes. The volume itself, under any name (same
     * device and inode, or the same block device), is refused: opening it for writing would
     * truncate the data being read.
     */
    static Destination openDestination(Path file, Volume volume) {
        String object = "file " + file;
        boolean exists = Files.exists(file);
        if (exists) {
            BasicFileAttributes attributes = attributes(file, object, "vol-download");
            if (attributes.isDirectory()) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, "vol-download",
                        file + " is a directory; name the file to write, such as " + file.resolve(volume.name()) + ".");
            }
            if (sameFile(file, volume.path())) {
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, "vol-download",
                        file + " is volume '" + volume.name() + "' itself (" + volume.path()
                                + "); downloading onto it would destroy its data.");
            }
        }
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            boolean regular = !exists || Files.isRegularFile(file);
            return new Destination(channel, regular, file);
        } catch (IOException e) {
            throw failure(e, object, "vol-download", "write to");
        }
    }

    /** Same device and inode, or (device nodes) the same device number. */
    static boolean sameFile(Path a, Path b) {
        try {
            if (!Files.exists(b)) {
                return false;
            }
            Object keyA = Files.readAttributes(a, BasicFileAttributes.class).fileKey();
            Object keyB = Files.readAttributes(b, BasicFileAttributes.class).fileKey();
            if (keyA != null && Objects.equals(keyA, keyB)) {
                return true;
            }
            if (Files.readAttributes(a, BasicFileAttributes.class).isOther()
                    && Files.readAttributes(b, BasicFileAttributes.class).isOther()) {
                int modeA = (Integer) Files.getAttribute(a, "unix:mode");
                int modeB = (Integer) Files.getAttribute(b, "unix:mode");
                boolean blockA = (modeA & 0170000) == 0060000;
                boolean blockB = (modeB & 0170000) == 0060000;
                return blockA && blockB && Files.getAttribute(a, "unix:rdev").equals(Files.getAttribute(b, "unix:rdev"));
            }
            return false;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static BasicFileAttributes attributes(Path file, String object, String operation) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw failure(e, object, operation, "read");
        }
    }

    /** An I/O failure on the user's file with its category: missing, permission, space, or I/O. */
    static StorageException failure(IOException e, String object, String operation, String verb) {
        String message = String.valueOf(e.getMessage());
        ErrorCode code;
        String why;
        if (e instanceof NoSuchFileException) {
            code = ErrorCode.INVALID_ARGUMENT;
            why = "it does not exist";
        } else if (e instanceof AccessDeniedException) {
            code = ErrorCode.PERMISSION_DENIED;
            why = "permission denied";
        } else if (message.contains("No space left on device")) {
            code = ErrorCode.NO_SPACE;
            why = "no space left on the device";
        } else if (message.contains("Is a directory")) {
            code = ErrorCode.INVALID_ARGUMENT;
            why = "it is a directory";
        } else {
            code = ErrorCode.IO_ERROR;
            why = message;
        }
        return new StorageException(code, object, operation,
                "Cannot " + verb + " " + object.substring("file ".length()) + ": " + why + ".", e);
    }
}
