package org.libstorage.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.StorageEvent;
import org.libstorage.StorageException;

/**
 * Reads the journal from one sequence number on, segment after segment, taking only whole
 * records (a line with its newline and a matching checksum). Never locks: a reader sees a record
 * once its single write is complete. Not thread-safe; one subscription owns it.
 */
final class JournalCursor implements AutoCloseable {
    private static final String OPERATION = "event";

    private final Journal journal;
    private Journal.Segment segment;
    private FileChannel channel;
    private long wanted;
    private byte[] buffer = new byte[64 << 10];
    private int start;
    private int end;
    private int scanned;
    private long filePosition;

    private JournalCursor(Journal journal, Journal.Segment segment, long position, long wanted) throws IOException {
        this.journal = journal;
        this.wanted = wanted;
        open(segment, position);
    }

    /**
     * A cursor at event {@code from} ({@link StorageEvent#OLDEST}, {@link StorageEvent#NEW}, or a
     * sequence number the journal keeps, up to the next one to come).
     */
    static JournalCursor at(Journal journal, long from) {
        for (int attempt = 0; ; attempt++) {
            try {
                List<Journal.Segment> all = Journal.segments(journal.directory());
                if (all.isEmpty()) {
                    if (from > 1) {
                        throw future(from, 1);
                    }
                    // Nothing written yet: wait for the first segment.
                    return new JournalCursor(journal, null, 0, 1);
                }
                Journal.Segment newest = all.getLast();
                long oldest = all.getFirst().first();
                Journal.Tail tail;
                try (FileChannel c = FileChannel.open(newest.path(), StandardOpenOption.READ)) {
                    tail = Journal.tail(c, c.size());
                }
                long next = tail.last().map(e -> e.sequence() + 1).orElse(newest.first());
                if (from == StorageEvent.NEW) {
                    return new JournalCursor(journal, newest, tail.end(), next);
                }
                long first = from == StorageEvent.OLDEST ? oldest : from;
                if (first < 1) {
                    throw new StorageException(ErrorCode.INVALID_ARGUMENT, "the event journal", OPERATION,
                            "Event sequence numbers start at 1; " + from + " is none (0 asks for the oldest kept, -1 for"
                                    + " new events only).");
                }
                if (first < oldest) {
                    throw Journal.expired(first, oldest, OPERATION);
                }
                if (first > next) {
                    throw future(first, next);
                }
                Journal.Segment from_ = all.getFirst();
                for (Journal.Segment s : all) {
                    if (s.first() <= first) {
                        from_ = s;
                    }
                }
                return new JournalCursor(journal, from_, 0, first);
            } catch (NoSuchFileException e) {
                if (attempt >= 3) {
                    throw Failures.io("the event journal", OPERATION, "read the journal in " + journal.directory(), e);
                }
                // A segment was rotated away while we looked: look again.
            } catch (IOException e) {
                throw Failures.io("the event journal", OPERATION, "read the journal in " + journal.directory(), e);
            }
        }
    }

    private static StorageException future(long from, long next) {
        return new StorageException(ErrorCode.INVALID_ARGUMENT, "the event journal", OPERATION,
                "Event " + from + " has not happened: the next event will be " + next
                        + " (the journal starts over when the run directory is emptied, as at boot).");
    }

    private void open(Journal.Segment s, long position) throws IOException {
        closeChannel();
        segment = s;
        start = end = scanned = 0;
        filePosition = position;
        if (s != null) {
            channel = FileChannel.open(s.path(), StandardOpenOption.READ);
        }
    }

    /** The next event, or empty when there is none yet. */
    Optional<StorageEvent> next() throws IOException {
        while (true) {
            if (channel == null) {
                List<Journal.Segment> all = Journal.segments(journal.directory());
                if (all.isEmpty()) {
                    return Optional.empty();
                }
                if (all.getFirst().first() > wanted) {
                    throw Journal.expired(wanted, all.getFirst().first(), OPERATION);
                }
                openOrExpire(all.getFirst());
            }
            Optional<StorageEvent> event = readRecord();
            if (event.isPresent()) {
                return event;
            }
            // The end of this segment for now. Is there a later one? Only then is this one finished,
            // and its last records were written before the later one was made: read once more.
            Optional<Journal.Segment> later = Journal.segments(journal.directory()).stream()
                    .filter(s -> s.first() > segment.first()).findFirst();
            if (later.isEmpty()) {
                return Optional.empty();
            }
            event = readRecord();
            if (event.isPresent()) {
                return event;
            }
            if (later.get().first() > wanted) {
                throw Journal.expired(wanted, Journal.segments(journal.directory()).getFirst().first(), OPERATION);
            }
            openOrExpire(later.get());
        }
    }

    private void openOrExpire(Journal.Segment s) throws IOException {
        try {
            open(s, 0);
        } catch (NoSuchFileException e) {
            // Rotated away between the listing and the open.
            long oldest = journal.oldestRetained();
            throw Journal.expired(wanted, oldest, OPERATION);
        }
    }

    /** The next whole record of the current segment at or after {@code wanted}, skipping what is not one. */
    private Optional<StorageEvent> readRecord() throws IOException {
        while (true) {
            int newline = -1;
            for (int i = scanned; i < end; i++) {
                if (buffer[i] == '\n') {
                    newline = i;
                    break;
                }
            }
            if (newline < 0) {
                scanned = end;
                if (!fill()) {
                    return Optional.empty();
                }
                continue;
            }
            int lineStart = start;
            start = scanned = newline + 1;
            Optional<StorageEvent> event = EventRecords.decode(buffer, lineStart, newline);
            if (event.isPresent() && event.get().sequence() >= wanted) {
                wanted = event.get().sequence() + 1;
                return event;
            }
            // A torn line, or an event before the one asked for: skip it.
        }
    }

    /** Reads more of the segment after the buffered bytes; false when there is nothing more now. */
    private boolean fill() throws IOException {
        if (start > 0) {
            System.arraycopy(buffer, start, buffer, 0, end - start);
            end -= start;
            scanned -= start;
            start = 0;
        }
        if (end == buffer.length) {
            buffer = java.util.Arrays.copyOf(buffer, buffer.length * 2);
        }
        int n = channel.read(ByteBuffer.wrap(buffer, end, buffer.length - end), filePosition);
        if (n <= 0) {
            return false;
        }
        end += n;
        filePosition += n;
        return true;
    }

    /** The sequence number of the next event this cursor will return. */
    long wanted() {
        return wanted;
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // read-only; nothing to lose
            }
            channel = null;
        }
    }

    @Override
    public void close() {
        closeChannel();
    }
}
