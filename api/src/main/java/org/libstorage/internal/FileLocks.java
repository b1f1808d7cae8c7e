package org.libstorage.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/**
 * Exclusive locks that hold both within this JVM and across processes: a {@link ReentrantLock}
 * per lock file orders the threads of this JVM, and the thread that holds it first also takes
 * the file lock ({@link FileChannel#lock()}, a POSIX record lock) that orders processes.
 *
 * <p>The table is JVM-wide on purpose: file locks belong to the process, not to a channel, so
 * two {@code Storage} instances of one JVM sharing a run directory must share these locks too
 * (a second channel would get {@code OverlappingFileLockException}, and closing it would drop
 * the first one's lock). Entries are never removed; there is one per pool ever locked.
 *
 * <p>Each entry keeps its lock file's channel open once opened: every acquisition then costs one
 * {@code fcntl} lock and unlock rather than a mkdir, an open and a close. That is safe because
 * the lock files are never deleted, and no other code of this JVM opens them (closing any
 * descriptor of the file would drop the process's record lock).
 */
final class FileLocks {
    private static final System.Logger LOG = System.getLogger(FileLocks.class.getName());
    private static final ConcurrentMap<Path, Entry> LOCKS = new ConcurrentHashMap<>();
    /**
     * Lock directories as given and as resolved: entries are keyed by real path, so two spellings
     * of one run directory (a symlink, {@code ..}) still share one lock.
     */
    private static final ConcurrentMap<Path, Path> REAL_DIRECTORIES = new ConcurrentHashMap<>();

    private FileLocks() {
    }

    /** A held lock; closing it (once; later closes do nothing) releases this hold. */
    static final class Held implements AutoCloseable {
        private final Entry entry;
        /** Whether this hold took the file lock, and so releases it. */
        private final boolean withFile;
        private boolean closed;

        private Held(Entry entry, boolean withFile) {
            this.entry = entry;
            this.withFile = withFile;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(entry, withFile);
            }
        }
    }

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        // Guarded by lock: opened by the first holder and kept open; null again after a failure.
        FileChannel channel;
        // Guarded by lock: set while the outermost holder holds the file lock.
        FileLock fileLock;
    }

    /**
     * Takes the lock of {@code file}, waiting as long as it takes; an interrupt while waiting
     * gives {@link ErrorCode#CANCELLED}.
     */
    static Held acquire(Path file, String object, String operation) {
        Path key = key(file, object, operation);
        Entry entry = lockInProcess(key, object, operation);
        // The first hold that needs the file lock takes it (an in-process hold beneath does not).
        boolean tookFileLock = false;
        if (entry.fileLock == null || !entry.fileLock.isValid()) {
            try {
                if (entry.channel == null || !entry.channel.isOpen()) {
                    Modes.createDirectories(key.getParent());
                    Modes.createFile(key); // mode 0644 whatever the umask
                    entry.channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                }
                entry.fileLock = entry.channel.lock();
                tookFileLock = true;
            } catch (ClosedByInterruptException e) {
                closeQuietly(entry);
                entry.lock.unlock();
                Thread.currentThread().interrupt();
                throw cancelled(object, operation, e);
            } catch (java.nio.file.AccessDeniedException e) {
                closeQuietly(entry);
                entry.lock.unlock();
                throw new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                        "Cannot lock " + key + ": permission denied; taking the lock needs write permission on "
                                + e.getFile() + " (this configuration belongs to another user; run as that user or "
                                + "name your own with --config-dir / StorageConfig).", e);
            } catch (IOException | RuntimeException e) {
                closeQuietly(entry);
                entry.lock.unlock();
                throw new StorageException(ErrorCode.IO_ERROR, object, operation,
                        "Cannot lock " + key + ": " + e.getMessage() + ".", e);
            }
        }
        return new Held(entry, tookFileLock);
    }

    /**
     * Takes only this JVM's side of the lock of {@code file}: it orders the threads of this
     * process around their in-memory state, and costs no system call. For reads that need no
     * agreement with other processes (they check what those did through the files' stamps).
     */
    static Held acquireInProcess(Path file, String object, String operation) {
        return new Held(lockInProcess(key(file, object, operation), object, operation), false);
    }

    /** The lock file's path with its directory resolved, so that every spelling shares one entry. */
    private static Path key(Path file, String object, String operation) {
        return realDirectory(file.toAbsolutePath().normalize().getParent(), object, operation)
                .resolve(file.getFileName());
    }

    /** Takes this JVM's lock of the entry for {@code key}; an interrupt while waiting is CANCELLED. */
    private static Entry lockInProcess(Path key, String object, String operation) {
        Entry entry = LOCKS.computeIfAbsent(key, k -> new Entry());
        try {
            entry.lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cancelled(object, operation, e);
        }
        return entry;
    }

    private static Path realDirectory(Path dir, String object, String operation) {
        Path real = REAL_DIRECTORIES.get(dir);
        if (real != null) {
            return real;
        }
        try {
            Modes.createDirectories(dir);
            real = dir.toRealPath();
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, object, operation,
                    "Cannot create the lock directory " + dir + ": " + e.getMessage() + ".", e);
        }
        REAL_DIRECTORIES.putIfAbsent(dir, real);
        return real;
    }

    private static void release(Entry entry, boolean withFile) {
        if (!entry.lock.isHeldByCurrentThread()) {
            return;
        }
        if (withFile) {
            unlockFile(entry);
        }
        entry.lock.unlock();
    }

    /** Releases the file lock but keeps the channel for the next holder; closes it only on failure. */
    private static void unlockFile(Entry entry) {
        try {
            if (entry.fileLock != null && entry.fileLock.isValid()) {
                entry.fileLock.release();
            }
            entry.fileLock = null;
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "releasing a file lock failed; closing its channel releases it", e);
            closeQuietly(entry);
        }
    }

    private static void closeQuietly(Entry entry) {
        try {
            if (entry.fileLock != null && entry.fileLock.isValid()) {
                entry.fileLock.release();
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "releasing a file lock failed; closing its channel releases it", e);
        }
        try {
            if (entry.channel != null) {
                entry.channel.close();
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing a lock file failed", e);
        }
        entry.fileLock = null;
        entry.channel = null;
    }

    private static StorageException cancelled(String object, String operation, Exception cause) {
        return new StorageException(ErrorCode.CANCELLED, object, operation,
                "The thread was interrupted while waiting for the lock of " + object + ".", cause);
    }
}
