package org.libstorage.spi;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * A data operation under way on one volume of a pool, as recorded in the pool's run state: its
 * id (unique on the host, {@code <pid>-<hex>}), the volume it writes or reads, and the
 * operation ({@code vol-clone}, {@code vol-wipe}, ...).
 *
 * <p>A driver that builds a new volume under a temporary name uses {@link #temporaryName()}: a
 * hidden name in the pool that carries the job's id, so whoever finds it later can ask
 * {@link Jobs#isRunning(String)} whether it is still being filled or was left by a job that died.
 */
public record Job(String id, String volume, String operation) {
    /** Every temporary name starts with this; refreshes never list such entries as volumes. */
    public static final String TEMPORARY_PREFIX = ".libstorage-tmp-";
    private static final int MAX_NAME_BYTES = 255;

    public Job {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(operation, "operation");
        if (!id.matches("[0-9]+-[0-9a-f]+")) {
            throw new IllegalArgumentException("not a job id: " + id);
        }
    }

    /**
     * {@code .libstorage-tmp-<id>-<volume>}, the volume's name cut short where the whole would
     * not fit in a file name (the id alone identifies the job).
     */
    public String temporaryName() {
        String name = TEMPORARY_PREFIX + id + "-" + volume;
        if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES) {
            return name;
        }
        StringBuilder cut = new StringBuilder(TEMPORARY_PREFIX + id + "-");
        int bytes = cut.length();
        for (int i = 0; i < volume.length(); ) {
            int cp = volume.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > MAX_NAME_BYTES) {
                break;
            }
            cut.appendCodePoint(cp);
            bytes += n;
            i += Character.charCount(cp);
        }
        return cut.toString();
    }

    /** Whether {@code fileName} is a temporary name (of a running job or a dead one). */
    public static boolean isTemporary(String fileName) {
        return fileName.startsWith(TEMPORARY_PREFIX);
    }

    /** The id of the job that made the temporary {@code fileName}; empty for any other name. */
    public static Optional<String> idOfTemporary(String fileName) {
        if (!isTemporary(fileName)) {
            return Optional.empty();
        }
        String rest = fileName.substring(TEMPORARY_PREFIX.length());
        int pidEnd = rest.indexOf('-');
        if (pidEnd <= 0) {
            return Optional.empty();
        }
        int hexEnd = rest.indexOf('-', pidEnd + 1);
        String id = hexEnd < 0 ? rest : rest.substring(0, hexEnd);
        return id.matches("[0-9]+-[0-9a-f]+") ? Optional.of(id) : Optional.empty();
    }
}
