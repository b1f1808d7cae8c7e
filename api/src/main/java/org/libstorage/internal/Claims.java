package org.libstorage.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/**
 * The claims of running jobs, one file per claim in {@code <runDir>/storage/jobs/<pool>/}: the
 * volume, how it is used, the operation, the process and when it started. The job's process holds
 * a POSIX record lock on its claim file for as long as the job runs, so a claim outlives neither
 * the job nor its process: a claim file whose lock can be taken belongs to a process that died
 * ({@code kill -9} included) and is dead.
 *
 * <p>Claims are recorded, and dead ones removed, only under the pool's lock, so no reader ever
 * mistakes a claim being written for a dead one. A job lets go of its claim by deleting the file
 * and then closing it, which needs no lock: claim ids are never reused.
 *
 * <p>Record locks belong to the process, and closing any descriptor of a file drops the
 * process's lock on it. So the claims this JVM holds are kept in one JVM-wide table, and a claim
 * file written by this process is never opened again while its job runs: its liveness is the
 * table's answer.
 */
final class Claims {
    private static final System.Logger LOG = System.getLogger(Claims.class.getName());
    private static final String SUFFIX = ".claim";
    private static final long PID = ProcessHandle.current().pid();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The claims of this JVM's running jobs, by claim file (absolute, normalized). */
    private static final ConcurrentMap<Path, Held> HELD = new ConcurrentHashMap<>();

    /** How a job uses a volume: reading it, writing it, or building it anew under its name. */
    enum Use {
        READ, WRITE, CREATE;

        boolean conflictsWith(Use other) {
            return this != READ || other != READ;
        }
    }

    /** A claim as recorded: whose it is and what for. */
    record Claim(String id, String volume, Use use, String operation, long pid, Instant started) {
        String describe() {
            String verb = switch (use) {
                case READ -> "being read by ";
                case WRITE -> "being written by ";
                case CREATE -> "being created by ";
            };
            return verb + operation + " (process " + pid + ", since " + started + ")";
        }
    }

    /** The claims of one pool, split into those of running jobs and those whose job died. */
    record Scan(List<Claim> live, List<Claim> dead) {
        boolean busy() {
            return !live.isEmpty();
        }

        Optional<Claim> conflicting(String volume, Use use) {
            return live.stream().filter(c -> c.volume().equals(volume) && c.use().conflictsWith(use)).findFirst();
        }

        boolean creating(String volume) {
            return live.stream().anyMatch(c -> c.use() == Use.CREATE && c.volume().equals(volume));
        }
    }

    private static final Scan NONE = new Scan(List.of(), List.of());

    private final Layout layout;
    /**
     * Per pool, its claims directory as a scan found it holding no claim: while the directory is
     * the same (inode, modification time) it still holds none, and a scan is one stat instead of
     * a listing. Only empty directories are remembered: a claim's job can die without touching
     * the directory, so one with claims is read again every time (which is how dead jobs are
     * found). Claims are recorded only under the pool's lock, which every scan holds.
     */
    private final ConcurrentMap<String, DirectoryStamp> empty = new ConcurrentHashMap<>();

    Claims(Layout layout) {
        this.layout = layout;
    }

    /** A claim this process holds; closing it ends the claim. Closing twice does nothing. */
    static final class Held implements AutoCloseable {
        private final Path file;
        private final Claim claim;
        private final FileChannel channel;
        private volatile boolean closed;

        private Held(Path file, Claim claim, FileChannel channel) {
            this.file = file;
            this.claim = claim;
            this.channel = channel;
        }

        Claim claim() {
            return claim;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // The lock still goes with the channel; the next scan removes the file.
                LOG.log(Level.WARNING, "cannot remove the claim file " + file, e);
            }
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "closing the claim file " + file + " failed", e);
            }
            HELD.remove(file, this);
        }
    }

    /**
     * Records a claim on {@code volume} of {@code pool} for this process. Call under the pool
     * lock, after {@link #scan} found no conflicting claim.
     */
    Held record(String pool, String volume, Use use, String operation, String object) {
        Path dir = layout.jobs(pool);
        empty.remove(pool);
        String id = PID + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong());
        Path file = dir.resolve(id + SUFFIX);
        Claim claim = new Claim(id, volume, use, operation, PID, Instant.now());
        FileChannel channel = null;
        try {
            Modes.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(file, Modes.FILE); // whatever the umask: see Modes
            FileLock lock = channel.lock();
            assert lock.isValid();
            channel.write(ByteBuffer.wrap(serialize(claim).getBytes(StandardCharsets.UTF_8)));
            Held held = new Held(file, claim, channel);
            HELD.put(file, held);
            return held;
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    Files.deleteIfExists(file);
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new StorageException(ErrorCode.IO_ERROR, object, operation,
                    "Cannot record the claim of " + operation + " in " + dir + ": " + e.getMessage() + ".", e);
        }
    }

    /**
     * Every claim of {@code pool}. Dead claims are reported but left in place: the caller cleans
     * up after their jobs, then {@link #remove}s them. Call under the pool lock.
     */
    Scan scan(String pool) {
        Path dir = layout.jobs(pool);
        Optional<DirectoryStamp> before;
        try {
            before = DirectoryStamp.of(dir);
        } catch (IOException e) {
            throw Failures.io(Failures.pool(pool), null, "look at the job claims in " + dir, e);
        }
        if (before.isEmpty()) {
            empty.remove(pool);
            return NONE; // no job ever ran on this pool
        }
        if (before.get().unchangedSince(empty.get(pool))) {
            return NONE;
        }
        List<Claim> live = new ArrayList<>();
        List<Claim> dead = new ArrayList<>();
        int files = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : entries) {
                files++;
                look(file.toAbsolutePath().normalize(), live, dead);
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            // No job ever ran on this pool.
        } catch (IOException e) {
            throw Failures.io(Failures.pool(pool), null, "list the job claims in " + dir, e);
        }
        if (files == 0 && before.get().settled()) {
            empty.put(pool, before.get());
        } else {
            empty.remove(pool);
        }
        return live.isEmpty() && dead.isEmpty() ? NONE : new Scan(List.copyOf(live), List.copyOf(dead));
    }

    /** Whether the claim {@code id} of {@code pool} belongs to a running job. Call under the pool lock. */
    boolean isRunning(String pool, String id) {
        Path file = layout.jobs(pool).resolve(id + SUFFIX).toAbsolutePath().normalize();
        List<Claim> live = new ArrayList<>(1);
        look(file, live, new ArrayList<>(1));
        return !live.isEmpty();
    }

    /** Removes a dead claim's file once what its job left is cleaned up. Call under the pool lock. */
    void remove(String pool, Claim dead) {
        Path file = layout.jobs(pool).resolve(dead.id() + SUFFIX);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove the dead claim " + file, e);
        }
    }

    private static void look(Path file, List<Claim> live, List<Claim> dead) {
        Held mine = HELD.get(file);
        if (mine != null && !mine.closed) {
            live.add(mine.claim());
            return;
        }
        String name = file.getFileName().toString();
        if (name.startsWith(PID + "-") && mine == null) {
            // Written by a process that had this pid before us, or by a job of ours that is ending.
            read(file).ifPresent(dead::add);
            return;
        }
        if (mine != null) {
            return; // ours and ending: neither running nor left behind
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // another thread of ours checks it right now; it is not ours, so it is alive or soon gone
            }
            Optional<Claim> claim = parse(file, channel);
            if (lock == null) {
                claim.ifPresent(live::add);
            } else {
                lock.release();
                claim.ifPresentOrElse(dead::add, () -> removeUnreadable(file));
            }
        } catch (NoSuchFileException e) {
            // Its job ended between the listing and now.
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot check the claim " + file, e);
        }
    }

    private static void removeUnreadable(Path file) {
        // A process died while writing it: there is nothing to clean up after but the file.
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove the broken claim " + file, e);
        }
    }

    private static Optional<Claim> read(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Optional<Claim> claim = parse(file, channel);
            if (claim.isEmpty()) {
                removeUnreadable(file);
            }
            return claim;
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read the claim " + file, e);
            return Optional.empty();
        }
    }

    private static Optional<Claim> parse(Path file, FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
            // read it all
        }
        Properties p = new Properties();
        p.load(new java.io.StringReader(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8)));
        String name = file.getFileName().toString();
        String id = name.substring(0, name.length() - SUFFIX.length());
        try {
            return Optional.of(new Claim(id, p.getProperty("volume"), Use.valueOf(p.getProperty("use")),
                    p.getProperty("operation"), Long.parseLong(p.getProperty("pid")),
                    Instant.parse(p.getProperty("started"))));
        } catch (RuntimeException e) {
            return Optional.empty(); // half-written: its writer died before finishing it
        }
    }

    private static String serialize(Claim claim) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : Map.of("volume", claim.volume(), "use", claim.use().name(),
                "operation", claim.operation(), "pid", Long.toString(claim.pid()),
                "started", claim.started().toString()).entrySet()) {
            out.append(e.getKey()).append('=').append(escape(e.getValue())).append('\n');
        }
        return out.toString();
    }

    /** Properties-file escaping for the few characters that need it in a value. */
    private static String escape(String value) {
        StringBuilder out = new StringBuilder();
        for (char c : value.toCharArray()) {
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
