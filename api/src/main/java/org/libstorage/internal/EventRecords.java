package org.libstorage.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.libstorage.ErrorCode;
import org.libstorage.StorageEvent;

/**
 * The journal's record format: one line per event,
 * {@code <crc32c of the rest, 8 hex digits> seq=N time=T pid=P op=OP pool=NAME uuid=U [vol=..] [key=..]
 * [src=..] [job=..] [jobop=..] [pct=..] [err=CODE]\n}. Values are UTF-8 with every byte outside
 * printable ASCII, and {@code %}, {@code =} and space, written as {@code %XX}, so a record never
 * holds a newline but its last byte. A line without its newline, or whose checksum does not match,
 * is not a record (a writer killed mid-write leaves such a line; readers skip it).
 */
final class EventRecords {
    private static final HexFormat HEX = HexFormat.of();

    private EventRecords() {
    }

    /** What a change contributes to its event; the journal adds the sequence, time and process. */
    record Draft(String operation, UUID poolUuid, String pool, String volume, String key, String source,
                 String job, String jobOperation, int percent, ErrorCode error) {
        static Draft pool(StorageEvent.PoolEvent.Kind kind, UUID uuid, String pool) {
            return new Draft(word("pool-", kind), uuid, pool, null, null, null, null, null, -1, null);
        }

        static Draft volume(StorageEvent.VolumeEvent.Kind kind, UUID uuid, String pool, String volume, String key,
                            String source) {
            return new Draft(word("volume-", kind), uuid, pool, volume, key, source, null, null, -1, null);
        }

        static Draft job(StorageEvent.JobEvent.Kind kind, UUID uuid, String pool, String volume, String job,
                         String jobOperation, int percent, ErrorCode error) {
            return new Draft(word("job-", kind), uuid, pool, volume, null, null, job, jobOperation, percent, error);
        }

        private static String word(String prefix, Enum<?> kind) {
            return prefix + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** The record of event {@code sequence}, newline included. */
    static byte[] encode(long sequence, Instant time, long pid, Draft draft) {
        StringBuilder b = new StringBuilder(160);
        b.append("seq=").append(sequence).append(" time=").append(time).append(" pid=").append(pid)
                .append(" op=").append(draft.operation());
        field(b, "pool", draft.pool());
        field(b, "uuid", draft.poolUuid().toString());
        field(b, "vol", draft.volume());
        field(b, "key", draft.key());
        field(b, "src", draft.source());
        field(b, "job", draft.job());
        field(b, "jobop", draft.jobOperation());
        if (draft.percent() >= 0) {
            b.append(" pct=").append(draft.percent());
        }
        if (draft.error() != null) {
            b.append(" err=").append(draft.error().name());
        }
        byte[] payload = b.toString().getBytes(StandardCharsets.US_ASCII);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        byte[] line = new byte[9 + payload.length + 1];
        byte[] digits = HEX.toHexDigits((int) crc.getValue()).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, line, 0, 8);
        line[8] = ' ';
        System.arraycopy(payload, 0, line, 9, payload.length);
        line[line.length - 1] = '\n';
        return line;
    }

    private static void field(StringBuilder b, String name, String value) {
        if (value != null) {
            b.append(' ').append(name).append('=').append(escape(value));
        }
    }

    static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (byte c : value.getBytes(StandardCharsets.UTF_8)) {
            if (c > 0x20 && c < 0x7f && c != '%' && c != '=') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX.toHexDigits(c));
            }
        }
        return out.toString();
    }

    static String unescape(String value) {
        if (value.indexOf('%') < 0) {
            return value;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                out.write(HexFormat.fromHexDigits(value, i + 1, i + 3));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * The event in {@code line} (without its newline), or empty when it is not a whole record:
     * a torn write, a bad checksum, or a field this reader cannot read.
     */
    static Optional<StorageEvent> decode(byte[] buffer, int from, int to) {
        if (to - from < 10 || buffer[from + 8] != ' ') {
            return Optional.empty();
        }
        try {
            int expected = HexFormat.fromHexDigits(new String(buffer, from, 8, StandardCharsets.US_ASCII));
            CRC32C crc = new CRC32C();
            crc.update(buffer, from + 9, to - from - 9);
            if ((int) crc.getValue() != expected) {
                return Optional.empty();
            }
            String payload = new String(buffer, from + 9, to - from - 9, StandardCharsets.US_ASCII);
            Map<String, String> fields = new HashMap<>();
            for (String field : payload.split(" ")) {
                int eq = field.indexOf('=');
                if (eq > 0) {
                    fields.put(field.substring(0, eq), unescape(field.substring(eq + 1)));
                }
            }
            return Optional.of(event(fields));
        } catch (RuntimeException e) {
            return Optional.empty(); // not a record this reader understands
        }
    }

    private static StorageEvent event(Map<String, String> f) {
        long seq = Long.parseLong(f.get("seq"));
        Instant time = Instant.parse(f.get("time"));
        long pid = Long.parseLong(f.get("pid"));
        String op = f.get("op");
        UUID uuid = UUID.fromString(f.get("uuid"));
        String pool = java.util.Objects.requireNonNull(f.get("pool"));
        String kind = op.substring(op.indexOf('-') + 1).toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        if (op.startsWith("pool-")) {
            return new StorageEvent.PoolEvent(seq, time, pid, uuid, pool, StorageEvent.PoolEvent.Kind.valueOf(kind));
        }
        if (op.startsWith("volume-")) {
            return new StorageEvent.VolumeEvent(seq, time, pid, uuid, pool, f.get("vol"),
                    Optional.ofNullable(f.get("key")), StorageEvent.VolumeEvent.Kind.valueOf(kind),
                    Optional.ofNullable(f.get("src")));
        }
        if (op.startsWith("job-")) {
            String pct = f.get("pct");
            return new StorageEvent.JobEvent(seq, time, pid, uuid, pool, f.get("vol"), f.get("job"), f.get("jobop"),
                    StorageEvent.JobEvent.Kind.valueOf(kind),
                    pct == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(pct)),
                    Optional.ofNullable(f.get("err")).map(ErrorCode::valueOf));
        }
        throw new IllegalArgumentException("unknown operation " + op);
    }
}
