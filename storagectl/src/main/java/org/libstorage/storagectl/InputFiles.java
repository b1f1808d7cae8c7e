package org.libstorage.storagectl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/**
 * Reading a text file the user named (a definition, a volume XML, a source spec): bounded, so
 * {@code /dev/zero} or a huge file is refused instead of filling the heap, and strictly UTF-8,
 * so a wrong encoding is named with its byte offset instead of "Input length = 1".
 */
final class InputFiles {
    /** libvirt reads definitions up to 10 MiB (VIR_XML_MAX_SIZE-like limits); so do we. */
    static final int MAX_BYTES = 10 << 20;

    private InputFiles() {
    }

    /** The UTF-8 text of {@code file}; every failure is INVALID_ARGUMENT naming the file and why. */
    static String readText(Path file) {
        String object = "file " + file;
        if (Files.isDirectory(file)) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, null,
                    file + " is a directory, not a file to read.");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            ErrorCode code = e instanceof java.nio.file.AccessDeniedException ? ErrorCode.PERMISSION_DENIED
                    : ErrorCode.INVALID_ARGUMENT;
            throw new StorageException(code, object, null, "Cannot read " + Storagectl.describe(e) + ".", e);
        }
        if (bytes.length > MAX_BYTES) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, null,
                    file + " is larger than " + MAX_BYTES + " bytes (10 MiB), the most a definition may be.");
        }
        return utf8(bytes, file);
    }

    private static String utf8(byte[] bytes, Path file) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isUnderflow()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "file " + file, null,
                    file + " is not UTF-8 text: the byte" + (result.length() > 1 ? "s" : "") + " at offset "
                            + in.position() + " (0x" + hex(bytes, in.position(), result.length())
                            + ") cannot start or continue a UTF-8 character.");
        }
        return out.flip().toString();
    }

    private static String hex(byte[] bytes, int from, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < Math.min(bytes.length, from + length); i++) {
            b.append(String.format("%02x", bytes[i] & 0xff));
        }
        return b.toString();
    }
}
