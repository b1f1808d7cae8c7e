package org.libstorage.storagectl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
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

    /** What an upload reads: a regular file or block device has a size; anything else is a stream. */
    record Source(Path file, boolean sized) {
        java.nio.channels.ReadableByteChannel open() {
            try {
                return FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw failure(e, "file " + file, "vol-upload", "read");
            }
        }
    }

    static Source source(Path file) {
        String object = "file " + file;
        BasicFileAttributes attributes = attributes(file, object, "vol-upload");
        if (attributes.isDirectory()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, "vol-upload",
                    file + " is a directory; upload reads a file, a device or a pipe.");
        }
        return new Source(file, attributes.isRegularFile() || isBlockDevice(file));
    }

    private static boolean isBlockDevice(Path file) {
        try {
            return ((Integer) Files.getAttribute(file, "unix:mode") & 0170000) == 0060000;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** {@code channel}, but closing it leaves it open: the caller still reads from it afterwards. */
    static java.nio.channels.ReadableByteChannel unclosed(java.nio.channels.ReadableByteChannel channel) {
        return new java.nio.channels.ReadableByteChannel() {
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                return channel.read(dst);
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }

    /** After a stream filled the volume to its end: more data is an error, never silently dropped. */
    static void requireEnded(java.nio.channels.ReadableByteChannel in, Path file, Volume volume, long offset, long room) {
        int more;
        try {
            more = in.read(ByteBuffer.allocate(1));
        } catch (IOException e) {
            throw failure(e, "file " + file, "vol-upload", "read");
        }
        if (more > 0) {
            throw new StorageException(ErrorCode.NO_SPACE, "volume '" + volume.name() + "'", "vol-upload",
                    file + " has more than the " + room + " bytes volume '" + volume.name() + "' holds from offset "
                            + offset + "; those were written, the rest was not. Give --length to upload a part.");
        }
    }

    /**
     * Opens the volume for an upload of {@code total} bytes of {@code file}. The library checks
     * the volume's end and the pool's free space before anything is written, counting every byte
     * as data; when that does not fit, the file's real data (zero blocks become holes) is counted
     * and the library asked again with it, so a sparse image fits a pool with room for its data.
     */
    static WritableByteChannel openUpload(Volume volume, long offset, long total, Path file) {
        try {
            return volume.upload(offset, total);
        } catch (StorageException e) {
            if (e.code() != ErrorCode.NO_SPACE || total <= 0) {
                throw e;
            }
        }
        long data;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            data = dataBytes(channel, total);
        } catch (IOException e) {
            throw failure(e, "file " + file, "vol-upload", "read");
        }
        return volume.upload(offset, total, data);
    }

    /** The bytes of the first {@code total} that are not whole zero blocks. */
    private static long dataBytes(FileChannel channel, long total) throws IOException {
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

    private static boolean zero(ByteBuffer buffer, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks where a download goes, before anything opens it for writing: a directory, and the
     * volume itself under any name (same device and inode, or the same block device), are
     * refused. Returns whether it is (or will be) a regular file; else it is a device or pipe.
     */
    static boolean checkDestination(Path file, Volume volume) {
        String object = "file " + file;
        if (!Files.exists(file)) {
            return true;
        }
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
        return attributes.isRegularFile();
    }

    /** A device or pipe opened for writing in order (never truncated); its failures name it, a full one is NO_SPACE. */
    static java.nio.channels.WritableByteChannel openStream(Path file) {
        String object = "file " + file;
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw failure(e, object, "vol-download", "write to");
        }
        return new java.nio.channels.WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                try {
                    return channel.write(src);
                } catch (IOException e) {
                    throw failure(e, object, "vol-download", "write to");
                }
            }

            @Override
            public boolean isOpen() {
                return channel.isOpen();
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
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
            why = "no such file or directory";
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
