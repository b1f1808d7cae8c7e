package org.libstorage.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.VolumeDefinition;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;

/**
 * What one {@code Storage} knows about one pool at run time: its open driver and what the last
 * refresh found. Every field is guarded by the pool's lock ({@link FileLocks}), so a driver
 * never sees two calls at once.
 */
final class PoolRuntime {
    private PoolDriver driver;
    private PoolDefinition driverDefinition;

    /** The activation (run-state file version) the contents belong to; null when there are none. */
    private Registry.Stamp activation;
    /** The pool's {@code changes} stamp when the contents were last known to be current. */
    private Optional<Registry.Stamp> changes = Optional.empty();
    /** The activation the backend last confirmed as really active; null when it must be asked. */
    private Registry.Stamp probed;
    private PoolInfo info;
    private Optional<PoolSource> foundSource = Optional.empty();
    private final TreeMap<String, VolumeDefinition> volumes = new TreeMap<>();
    /**
     * Volume names by path as reported (absolute, normalized) and by key, kept up to date with
     * every change, so a lookup is a hash lookup however many volumes there are.
     */
    private final Map<Path, String> byPath = new HashMap<>();
    private final Map<String, String> byKey = new HashMap<>();
    /** Volume names by file identity (device, inode), for other spellings: built on first need, then kept. */
    private Map<Object, String> byFileKey;

    /** Lets go of the driver; drivers that hold resources implement {@link AutoCloseable}. */
    void close() {
        if (driver instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                System.getLogger(PoolRuntime.class.getName()).log(System.Logger.Level.WARNING,
                        "closing the driver of pool '" + driverDefinition.name() + "' failed", e);
            }
        }
        driver = null;
        driverDefinition = null;
    }

    Optional<PoolDriver> driverFor(PoolDefinition definition) {
        return definition.equals(driverDefinition) ? Optional.of(driver) : Optional.empty();
    }

    void setDriver(PoolDefinition definition, PoolDriver newDriver) {
        close();
        driverDefinition = definition;
        driver = newDriver;
    }

    boolean probed(Registry.Stamp currentActivation) {
        return currentActivation.equals(probed);
    }

    void setProbed(Registry.Stamp currentActivation) {
        probed = currentActivation;
    }

    void forgetProbe() {
        probed = null;
    }

    boolean sameActivation(Registry.Stamp currentActivation) {
        return activation != null && activation.equals(currentActivation);
    }

    /** Whether the contents belong to this activation and no process changed the pool since. */
    boolean hasContents(Registry.Stamp currentActivation, Optional<Registry.Stamp> currentChanges) {
        return sameActivation(currentActivation) && changes.equals(currentChanges);
    }

    void setContents(Registry.Stamp currentActivation, Optional<Registry.Stamp> currentChanges, PoolContents contents) {
        activation = currentActivation;
        changes = currentChanges;
        info = contents.info();
        foundSource = contents.source();
        volumes.clear();
        byPath.clear();
        byKey.clear();
        byFileKey = null;
        for (VolumeDefinition volume : contents.volumes()) {
            putVolume(volume);
        }
    }

    /** This process changed the pool (and its contents say so already): the new stamp is current. */
    void setChanges(Optional<Registry.Stamp> currentChanges) {
        changes = currentChanges;
    }

    void clearContents() {
        activation = null;
        changes = Optional.empty();
        info = null;
        foundSource = Optional.empty();
        volumes.clear();
        byPath.clear();
        byKey.clear();
        byFileKey = null;
    }

    /** The source as the last refresh found it, where the backend reports one. */
    Optional<PoolSource> foundSource() {
        return foundSource;
    }

    PoolInfo info() {
        return info;
    }

    /** The volumes, sorted by name. */
    List<VolumeDefinition> volumes() {
        return new ArrayList<>(volumes.values());
    }

    Optional<VolumeDefinition> volume(String name) {
        return Optional.ofNullable(volumes.get(name));
    }

    Optional<VolumeDefinition> volumeByKey(String key) {
        return Optional.ofNullable(byKey.get(key)).map(volumes::get);
    }

    /**
     * The volume at {@code resolved} ({@link ResolvedPath}): by its real path or the spelling
     * asked, then by file identity (another hard link, a bind mount).
     */
    /** The volume whose path is exactly {@code absoluteNormalized}, the cheap first try. */
    Optional<VolumeDefinition> volumeBySpelledPath(Path absoluteNormalized) {
        return Optional.ofNullable(byPath.get(absoluteNormalized)).map(volumes::get);
    }

    Optional<VolumeDefinition> volumeByPath(ResolvedPath resolved, Path asked) {
        String name = byPath.get(resolved.path());
        if (name == null) {
            name = byPath.get(asked.toAbsolutePath().normalize());
        }
        if (name == null && resolved.fileKey().isPresent()) {
            if (byFileKey == null) {
                byFileKey = new HashMap<>();
                for (VolumeDefinition volume : volumes.values()) {
                    indexFileKey(volume);
                }
            }
            name = byFileKey.get(resolved.fileKey().get());
        }
        return Optional.ofNullable(name).map(volumes::get);
    }

    private void indexFileKey(VolumeDefinition volume) {
        volume.path().flatMap(p -> ResolvedPath.of(p).fileKey()).ifPresent(k -> byFileKey.putIfAbsent(k, volume.name()));
    }

    void putVolume(VolumeDefinition volume) {
        VolumeDefinition old = volumes.put(volume.name(), volume);
        if (old != null) {
            unindex(old);
        }
        volume.path().ifPresent(p -> byPath.putIfAbsent(p.toAbsolutePath().normalize(), volume.name()));
        volume.key().ifPresent(k -> byKey.putIfAbsent(k, volume.name()));
        if (byFileKey != null) {
            indexFileKey(volume);
        }
    }

    void removeVolume(String name) {
        VolumeDefinition old = volumes.remove(name);
        if (old != null) {
            unindex(old);
        }
    }

    private void unindex(VolumeDefinition old) {
        old.path().ifPresent(p -> byPath.remove(p.toAbsolutePath().normalize(), old.name()));
        old.key().ifPresent(k -> byKey.remove(k, old.name()));
        if (byFileKey != null) {
            byFileKey.values().removeIf(old.name()::equals); // rare: only after a lookup by another spelling
        }
    }

    /**
     * A path in the form lookups compare: the real path when the file exists (resolving
     * {@code ..} and symlinked directories), else the normalized absolute path; plus the file's
     * identity (device and inode), which also matches other hard links and bind mounts.
     */
    record ResolvedPath(Path path, Optional<Object> fileKey) {
        static ResolvedPath of(Path path) {
            Path absolute = path.toAbsolutePath().normalize();
            try {
                Path real = path.toRealPath();
                Object key = Files.readAttributes(real, BasicFileAttributes.class).fileKey();
                return new ResolvedPath(real, Optional.ofNullable(key));
            } catch (IOException | SecurityException e) {
                return new ResolvedPath(absolute, Optional.empty());
            }
        }
    }
}
