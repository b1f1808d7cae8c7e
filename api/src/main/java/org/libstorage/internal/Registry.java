package org.libstorage.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.StageHook;
import org.libstorage.StorageException;
import org.libstorage.xml.PoolXml;

/**
 * The files of the pool registry (see {@link Layout}) and a cache of their parsed contents.
 * Files are re-read only when their identity changes (inode, mtime, size — a rewrite is a
 * rename of a new inode), so re-scanning for other processes' changes costs one {@code stat}
 * per pool and parses only what changed. Writers hold the registry or pool lock; readers need
 * none because every write is an atomic rename.
 */
final class Registry {
    private static final System.Logger LOG = System.getLogger(Registry.class.getName());

    /** A parsed definition file and the identity of the file it came from. */
    record Stored(PoolDefinition definition, Stamp stamp) {
    }

    /** What tells one version of a file from another without reading it. */
    record Stamp(Object fileKey, FileTime modified, long size) {
        /** The stamp of a regular file (following symlinks); empty when there is none. */
        static Optional<Stamp> of(Path file) throws IOException {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return a.isRegularFile() ? Optional.of(new Stamp(a.fileKey(), a.lastModifiedTime(), a.size()))
                        : Optional.empty();
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
        }
    }

    /** A cache slot: the stamp last seen and what it parsed to (empty when the file was unusable). */
    private record Parsed(Stamp stamp, Optional<PoolDefinition> definition) {
    }

    private final Layout layout;
    private final StageHook hook;
    private final ConcurrentMap<String, Parsed> definitions = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Parsed> runStates = new ConcurrentHashMap<>();

    Registry(Layout layout, StageHook hook) {
        this.layout = layout;
        this.hook = hook;
    }

    Layout layout() {
        return layout;
    }

    /** The pool names a listing of the definitions directory found, and the directory as it was then. */
    private record Listing(DirectoryStamp directory, List<String> names) {
    }

    /** The last settled listing; a scan of an unchanged directory reuses it (one stat, no listing). */
    private volatile Listing listing;

    /** Every readable definition, re-reading only files that changed since the last look. */
    List<Stored> scan() {
        Optional<DirectoryStamp> directory;
        try {
            directory = DirectoryStamp.of(layout.definitions());
        } catch (IOException e) {
            throw Failures.io(null, "pool-list", "list the pool definitions in " + layout.definitions(), e);
        }
        if (directory.isEmpty()) {
            definitions.clear();
            return List.of(); // No pool was ever defined here.
        }
        Listing known = listing;
        List<String> names;
        if (known != null && directory.get().unchangedSince(known.directory())) {
            names = known.names();
        } else {
            names = list();
            listing = directory.get().settled() ? new Listing(directory.get(), names) : null;
        }
        List<Stored> found = new ArrayList<>();
        for (String name : names) {
            read(definitions, layout.definition(name), name, "definition").ifPresent(found::add);
        }
        definitions.keySet().retainAll(Set.copyOf(names));
        return found;
    }

    /** The pool names in the definitions directory, removing what dead writers left there. */
    private List<String> list() {
        List<String> names = new ArrayList<>();
        boolean temps = false;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(layout.definitions())) {
            for (Path file : dir) {
                String name = Layout.poolNameOf(file);
                if (name == null) {
                    temps |= file.getFileName().toString().endsWith(AtomicFiles.TEMP_SUFFIX);
                    continue;
                }
                names.add(name);
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            // No pool was ever defined here.
        } catch (IOException e) {
            throw Failures.io(null, "pool-list", "list the pool definitions in " + layout.definitions(), e);
        }
        if (temps) {
            removeDeadTemps();
        }
        return List.copyOf(names);
    }

    /**
     * Removes the temp files of definitions whose writer was killed mid-write. Every writer of
     * the definitions directory holds the registry lock, so under it no temp file is anyone's.
     */
    private void removeDeadTemps() {
        try (FileLocks.Held _ = FileLocks.acquire(layout.registryLock(), null, "pool-list")) {
            AtomicFiles.removeTemps(layout.definitions(), null);
        } catch (IOException | StorageException e) {
            LOG.log(Level.WARNING, "cannot remove the temp files left in " + layout.definitions(), e);
        }
    }

    /** The definition of pool {@code name}, read again only if its file changed. */
    Optional<Stored> definition(String name) {
        return read(definitions, layout.definition(name), name, "definition");
    }

    /** The definition an active pool was started with; present exactly while the pool is marked active. */
    Optional<Stored> runState(String name) {
        return read(runStates, layout.runState(name), name, "run-state");
    }

    private Optional<Stored> read(ConcurrentMap<String, Parsed> cache, Path file, String name, String what) {
        Optional<Stamp> stamp;
        try {
            stamp = Stamp.of(file);
        } catch (IOException e) {
            throw Failures.io(Failures.pool(name), null, "read " + file, e);
        }
        if (stamp.isEmpty()) {
            cache.remove(name);
            return Optional.empty();
        }
        Parsed cached = cache.get(name);
        if (cached == null || !cached.stamp().equals(stamp.get())) {
            cached = new Parsed(stamp.get(), parse(file, name, what));
            cache.put(name, cached);
        }
        Stamp current = cached.stamp();
        return cached.definition().map(d -> new Stored(d, current));
    }

    private static Optional<PoolDefinition> parse(Path file, String name, String what) {
        try {
            PoolDefinition definition = PoolXml.parse(Files.readString(file, StandardCharsets.UTF_8));
            if (!definition.name().equals(name)) {
                LOG.log(Level.WARNING, "ignoring pool {0} file {1}: it defines pool ''{2}'', not ''{3}''",
                        what, file, definition.name(), name);
                return Optional.empty();
            }
            return Optional.of(definition);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (java.nio.file.AccessDeniedException e) {
            // Ignoring it would report "no such pool" for a pool that exists: say what is missing.
            throw new StorageException(ErrorCode.PERMISSION_DENIED, Failures.pool(name), null,
                    "Cannot read the " + what + " of pool '" + name + "' in " + file + ": permission denied; reading it "
                            + "needs read permission on the file (it belongs to another user; run as that user or "
                            + "name your own configuration directory).", e);
        } catch (IOException | StorageException e) {
            // One line at WARNING; the trace only for whoever turns DEBUG on.
            LOG.log(Level.WARNING, "ignoring unreadable pool {0} file {1}: {2}", what, file, e.getMessage());
            LOG.log(Level.DEBUG, "the unreadable pool " + what + " file " + file, e);
            return Optional.empty();
        }
    }

    /** Writes the persistent definition of pool {@code name}, already serialized, atomically. */
    void writeDefinition(String xml, String name, String operation) {
        Path file = layout.definition(name);
        try {
            AtomicFiles.removeTemps(layout.definitions(), null); // under the registry lock: all dead
            AtomicFiles.write(file, xml.getBytes(StandardCharsets.UTF_8),
                    () -> hook.reached(operation, "definition-written"));
        } catch (IOException e) {
            throw Failures.io(Failures.pool(name), operation, "write " + file, e);
        }
    }

    void deleteDefinition(String name, String operation) {
        delete(layout.definition(name), name, operation);
        definitions.remove(name);
    }

    void writeRunState(PoolDefinition definition, String operation) {
        removeRunStateTemps(definition.name());
        write(layout.runState(definition.name()), PoolXml.write(definition, Optional.empty()), definition.name(),
                operation);
    }

    void deleteRunState(String name, String operation) {
        removeRunStateTemps(name);
        delete(layout.runState(name), name, operation);
        runStates.remove(name);
    }

    /** Under the pool's lock, the only one writers of its run state hold: its temp files are dead. */
    private void removeRunStateTemps(String name) {
        try {
            AtomicFiles.removeTemps(layout.runState(), layout.runState(name).getFileName().toString());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove the temp files of pool '" + name + "' in " + layout.runState(), e);
        }
    }

    boolean isAutostart(String name) {
        return Files.exists(layout.autostartMarker(name), LinkOption.NOFOLLOW_LINKS);
    }

    void setAutostart(String name, boolean autostart, String operation) {
        Path marker = layout.autostartMarker(name);
        try {
            if (autostart) {
                if (!Files.exists(marker, LinkOption.NOFOLLOW_LINKS)) {
                    Modes.createDirectories(layout.autostart());
                    // Like libvirt: a symlink to the definition, so tools can follow it.
                    Files.createSymbolicLink(marker, Path.of("..", layout.definition(name).getFileName().toString()));
                    AtomicFiles.syncDirectory(layout.autostart());
                }
            } else {
                AtomicFiles.delete(marker);
            }
        } catch (IOException e) {
            throw Failures.io(Failures.pool(name), operation, (autostart ? "create " : "remove ") + "the autostart marker "
                    + marker, e);
        }
    }

    private static void write(Path file, String xml, String name, String operation) {
        try {
            AtomicFiles.write(file, xml.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw Failures.io(Failures.pool(name), operation, "write " + file, e);
        }
    }

    private static void delete(Path file, String name, String operation) {
        try {
            AtomicFiles.delete(file);
        } catch (IOException e) {
            throw Failures.io(Failures.pool(name), operation, "remove " + file, e);
        }
    }
}
