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
    private PoolInfo info;
    private Optional<PoolSource> foundSource = Optional.empty();
    private final TreeMap<String, VolumeDefinition> volumes = new TreeMap<>();
    /** Volumes by resolved path and by file key, built on the first path lookup after a change. */
    private Map<Object, String> pathIndex;

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

    boolean hasContents(Registry.Stamp currentActivation) {
        return activation != null && activation.equals(currentActivation);
    }

    void setContents(Registry.Stamp currentActivation, PoolContents contents) {
        activation = currentActivation;
        info = contents.info();
        foundSource = contents.source();
        volumes.clear();
        for (VolumeDefinition volume : contents.volumes()) {
            volumes.put(volume.name(), volume);
        }
        pathIndex = null;
    }

    void clearContents() {
        activation = null;
        info = null;
        foundSource = Optional.empty();
        volumes.clear();
        pathIndex = null;
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
        return volumes.values().stream().filter(v -> v.key().map(key::equals).orElse(false)).findFirst();
    }

    /** The volume at {@code resolved} ({@link ResolvedPath}), comparing real paths, then file keys. */
    Optional<VolumeDefinition> volumeByPath(ResolvedPath resolved) {
        if (pathIndex == null) {
            pathIndex = new HashMap<>();
            for (VolumeDefinition volume : volumes.values()) {
                volume.path().ifPresent(p -> {
                    ResolvedPath r = ResolvedPath.of(p);
                    pathIndex.putIfAbsent(r.path(), volume.name());
                    r.fileKey().ifPresent(k -> pathIndex.putIfAbsent(k, volume.name()));
                });
            }
        }
        String name = pathIndex.get(resolved.path());
        if (name == null && resolved.fileKey().isPresent()) {
            name = pathIndex.get(resolved.fileKey().get());
        }
        return Optional.ofNullable(name).map(volumes::get);
    }

    void putVolume(VolumeDefinition volume) {
        volumes.put(volume.name(), volume);
        pathIndex = null;
    }

    void removeVolume(String name) {
        volumes.remove(name);
        pathIndex = null;
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
