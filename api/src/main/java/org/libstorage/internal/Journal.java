package org.libstorage.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.StorageEvent;
import org.libstorage.StorageException;

/**
 * The host's event journal, {@code <runDir>/storage/events/}: segments named by the sequence
 * number of their first event ({@code 00000000000000000001.journal}), each a run of
 * {@link EventRecords} lines, and {@code journal.lock}.
 *
 * <p>Appending takes the journal lock ({@link FileLocks}: this JVM's threads, then an
 * {@code fcntl} lock for processes), learns the last sequence number (cached; re-read from the
 * newest segment's tail when the file is not as this process left it), and writes the record
 * with one {@code write} to a descriptor opened {@code O_APPEND}. No fsync: the journal lives in
 * the run directory (usually a tmpfs) and promises to survive its writers' crashes, not the host's.
 * A writer killed mid-write leaves a line without its newline; the next writer ends it with one,
 * which leaves it a line readers skip (or, if only the newline was missing, a whole record, whose
 * sequence number counts). Since the next writer reads the last sequence from the last whole
 * record, numbers stay without gaps.
 *
 * <p>Rotation: once the newest segment reaches {@code segmentBytes} the writer that filled it
 * starts the next one (empty, named by the next sequence number) and deletes the oldest segments
 * beyond {@code segments}. The oldest retained sequence number is the first segment's name.
 */
final class Journal {
    static final String SUFFIX = ".journal";
    static final long DEFAULT_SEGMENT_BYTES = 4L << 20;
    static final int DEFAULT_SEGMENTS = 8;
    private static final long PID = ProcessHandle.current().pid();
    /** Longest tail read to find the last record (a record is at most a few KiB: names and a path). */
    private static final int TAIL = 64 << 10;

    private final Path dir;
    private final Path lockFile;
    private final long segmentBytes;
    private final int segments;

    // Guarded by the journal lock (FileLocks: a ReentrantLock in this JVM).
    private Path current;
    private FileChannel channel;
    private long knownSize = -1;
    private long lastSequence;
    /** Whether this process ever opened a segment for appending. */
    private volatile boolean opened;

    Journal(Path dir, long segmentBytes, int segments) {
        this.dir = dir;
        this.lockFile = dir.resolve("journal.lock");
        this.segmentBytes = segmentBytes;
        this.segments = Math.max(1, segments);
    }

    Path directory() {
        return dir;
    }

    long segmentBytes() {
        return segmentBytes;
    }

    int segmentCount() {
        return segments;
    }

    /** A segment: the sequence number of its first event, and its file. */
    record Segment(long first, Path path) {
    }

    /** Appends one event; returns its sequence number. */
    long append(EventRecords.Draft draft) throws IOException {
        try (FileLocks.Held _ = FileLocks.acquire(lockFile, "the event journal", "event-append")) {
            try {
                ensureCurrent();
                long sequence = lastSequence + 1;
                byte[] line = EventRecords.encode(sequence, Instant.now(), PID, draft);
                ByteBuffer buffer = ByteBuffer.wrap(line);
                while (buffer.hasRemaining()) {
                    channel.write(buffer); // O_APPEND: one write(2), at the end whatever others did
                }
                knownSize += line.length;
                lastSequence = sequence;
                if (knownSize >= segmentBytes) {
                    rotate(sequence + 1);
                }
                return sequence;
            } catch (IOException | RuntimeException e) {
                forget(); // still under the lock: the next append re-reads everything
                throw e;
            }
        }
    }

    /** Makes {@code current}, {@code channel}, {@code lastSequence} match the newest segment. Under the lock. */
    private void ensureCurrent() throws IOException {
        if (channel != null && channel.isOpen() && channel.size() == knownSize) {
            return; // as this process left it: nobody appended, rotated or died mid-write since
        }
        forget();
        opened = true;
        Modes.createDirectories(dir);
        List<Segment> all = segments(dir);
        Segment newest = all.isEmpty() ? new Segment(1, dir.resolve(name(1))) : all.getLast();
        Modes.createFile(newest.path());
        channel = FileChannel.open(newest.path(), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        current = newest.path();
        try (FileChannel reader = FileChannel.open(newest.path(), StandardOpenOption.READ)) {
            long size = reader.size();
            if (size > 0 && lastByte(reader, size) != '\n') {
                // A writer died mid-write: end its line, so the next record starts a line of its own.
                channel.write(ByteBuffer.wrap(new byte[] {'\n'}));
                size = reader.size();
            }
            lastSequence = lastRecord(reader, size).map(StorageEvent::sequence).orElse(newest.first() - 1);
            knownSize = size;
        }
        long size = knownSize;
        if (size >= segmentBytes) {
            rotate(lastSequence + 1); // its writer died before rotating
        }
    }

    private void rotate(long next) throws IOException {
        Path path = dir.resolve(name(next));
        Modes.createFile(path);
        FileChannel opened = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        closeChannel();
        channel = opened;
        current = path;
        knownSize = channel.size();
        List<Segment> all = segments(dir);
        for (int i = 0; i < all.size() - segments; i++) {
            Files.deleteIfExists(all.get(i).path());
        }
    }

    private void forget() {
        closeChannel();
        current = null;
        knownSize = -1;
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                System.getLogger(Journal.class.getName()).log(System.Logger.Level.DEBUG, "closing a journal segment", e);
            }
            channel = null;
        }
    }

    void close() {
        if (!opened) {
            return; // never appended: nothing to close, and no lock file to make
        }
        try (FileLocks.Held _ = FileLocks.acquire(lockFile, "the event journal", "event-append")) {
            forget();
        } catch (StorageException e) {
            forget();
        }
    }

    static String name(long first) {
        return String.format("%020d", first) + SUFFIX;
    }

    /** The segments in {@code dir}, oldest first. */
    static List<Segment> segments(Path dir) throws IOException {
        List<Segment> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                String digits = file.substring(0, file.length() - SUFFIX.length());
                if (digits.length() == 20 && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    found.add(new Segment(Long.parseLong(digits), entry));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        found.sort(Comparator.comparingLong(Segment::first));
        return found;
    }

    private static int lastByte(FileChannel channel, long size) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        channel.read(one, size - 1);
        return one.get(0);
    }

    /** Where the last whole record of a segment ends, and that record. */
    record Tail(long end, Optional<StorageEvent> last) {
    }

    /** The last whole record of the first {@code size} bytes of a segment. */
    static Optional<StorageEvent> lastRecord(FileChannel channel, long size) throws IOException {
        return tail(channel, size).last();
    }

    static Tail tail(FileChannel channel, long size) throws IOException {
        long from = Math.max(0, size - TAIL);
        while (true) {
            byte[] bytes = new byte[(int) (size - from)];
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining() && channel.read(buffer, from + buffer.position()) > 0) {
                // read it all
            }
            int end = buffer.position();
            int lineEnd = -1;
            for (int i = end - 1; i >= 0; i--) {
                if (bytes[i] == '\n') {
                    if (lineEnd < 0) {
                        lineEnd = i; // bytes after the last newline are a record being written (or torn)
                        continue;
                    }
                    Optional<StorageEvent> event = EventRecords.decode(bytes, i + 1, lineEnd);
                    if (event.isPresent()) {
                        return new Tail(from + lineEnd + 1, event);
                    }
                    lineEnd = i;
                }
            }
            if (lineEnd >= 0 && from == 0) {
                Optional<StorageEvent> event = EventRecords.decode(bytes, 0, lineEnd);
                if (event.isPresent()) {
                    return new Tail(lineEnd + 1, event);
                }
            }
            if (from == 0) {
                return new Tail(lineEnd + 1, Optional.empty());
            }
            from = 0; // no whole record in the tail: read the whole segment (a damaged one; rare)
        }
    }

    /** The oldest sequence number the journal keeps (1 when it is empty). */
    long oldestRetained() throws IOException {
        List<Segment> all = segments(dir);
        return all.isEmpty() ? 1 : all.getFirst().first();
    }

    static StorageException expired(long wanted, long oldest, String operation) {
        return new StorageException(ErrorCode.EVENTS_EXPIRED, "the event journal", operation,
                "Event " + wanted + " is no longer kept: the oldest event the journal keeps is " + oldest
                        + "; resume from " + oldest + " to read on, knowing the events before it were missed.");
    }
}
