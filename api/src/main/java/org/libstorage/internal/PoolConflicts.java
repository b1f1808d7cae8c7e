package org.libstorage.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;

/**
 * Whether two pool definitions would hand out the same storage, as libvirt refuses at define
 * time: one file must be one volume in one pool, with one host-unique key. Compared: the target
 * directory of pools whose volumes are files in it, the block devices a pool is built on (across
 * types: an fs pool and a disk pool on one device conflict), a volume group, a ZFS pool, an RBD
 * or gluster pool on a host, an NFS export, and an iSCSI target at a portal (for one initiator).
 */
final class PoolConflicts {
    private static final Set<PoolType> FILE_TARGETS = Set.of(PoolType.DIR, PoolType.FS, PoolType.NETFS,
            PoolType.VSTORAGE);
    private static final Set<PoolType> DEVICE_SOURCES = Set.of(PoolType.FS, PoolType.DISK, PoolType.LOGICAL,
            PoolType.ZFS);
    private static final Set<PoolType> ISCSI = Set.of(PoolType.ISCSI, PoolType.ISCSI_DIRECT);
    private static final int ISCSI_PORT = 3260;

    private PoolConflicts() {
    }

    /** What {@code candidate} shares with {@code other} ("the target directory /x"), or empty. */
    static Optional<String> shared(PoolDefinition candidate, PoolDefinition other) {
        if (FILE_TARGETS.contains(candidate.type()) && FILE_TARGETS.contains(other.type())) {
            Optional<Path> a = candidate.targetPath();
            Optional<Path> b = other.targetPath();
            if (a.isPresent() && b.isPresent() && samePath(a.get(), b.get())) {
                return Optional.of("the target directory " + a.get());
            }
        }
        PoolSource sa = candidate.source();
        PoolSource sb = other.source();
        if (DEVICE_SOURCES.contains(candidate.type()) && DEVICE_SOURCES.contains(other.type())) {
            for (PoolSource.Device da : sa.devices()) {
                for (PoolSource.Device db : sb.devices()) {
                    if (samePath(da.path(), db.path())) {
                        return Optional.of("the device " + da.path());
                    }
                }
            }
        }
        if (candidate.type() != other.type() && !(ISCSI.contains(candidate.type()) && ISCSI.contains(other.type()))) {
            return Optional.empty();
        }
        return switch (candidate.type()) {
            case LOGICAL -> sa.name().filter(n -> sb.name().equals(Optional.of(n))).map(n -> "the volume group " + n);
            case ZFS -> sa.name().filter(n -> sb.name().equals(Optional.of(n))).map(n -> "the ZFS pool " + n);
            case RBD, GLUSTER, SHEEPDOG -> sa.name().filter(n -> sb.name().equals(Optional.of(n)) && sameHost(sa, sb))
                    .map(n -> "the " + candidate.type().xmlName() + " pool " + n + " on " + hostName(sa));
            case NETFS -> sa.dir().filter(d -> sb.dir().equals(Optional.of(d)) && sameHost(sa, sb))
                    .map(d -> "the export " + hostName(sa) + ":" + d);
            case ISCSI, ISCSI_DIRECT -> iscsiTarget(sa, sb);
            default -> Optional.empty();
        };
    }

    private static Optional<String> iscsiTarget(PoolSource a, PoolSource b) {
        if (a.devices().isEmpty() || b.devices().isEmpty() || !samePortal(a, b)) {
            return Optional.empty();
        }
        String target = a.devices().getFirst().path().toString();
        if (!target.equals(b.devices().getFirst().path().toString())) {
            return Optional.empty();
        }
        // As libvirt: one target may be reached by two pools only as two different initiators.
        if (a.initiatorIqn().isPresent() && b.initiatorIqn().isPresent() && !a.initiatorIqn().equals(b.initiatorIqn())) {
            return Optional.empty();
        }
        PoolSource.Host host = a.hosts().getFirst();
        return Optional.of("the iSCSI target " + target + " at " + host.name() + ":" + host.port().orElse(ISCSI_PORT));
    }

    private static boolean samePortal(PoolSource a, PoolSource b) {
        if (a.hosts().isEmpty() || b.hosts().isEmpty()) {
            return false;
        }
        PoolSource.Host ha = a.hosts().getFirst();
        PoolSource.Host hb = b.hosts().getFirst();
        return ha.name().equalsIgnoreCase(hb.name()) && port(ha.port()) == port(hb.port());
    }

    private static int port(OptionalInt port) {
        return port.orElse(ISCSI_PORT);
    }

    private static boolean sameHost(PoolSource a, PoolSource b) {
        List<String> ha = a.hosts().stream().map(h -> h.name().toLowerCase(java.util.Locale.ROOT)).toList();
        List<String> hb = b.hosts().stream().map(h -> h.name().toLowerCase(java.util.Locale.ROOT)).toList();
        return ha.isEmpty() && hb.isEmpty() || ha.stream().anyMatch(hb::contains);
    }

    private static String hostName(PoolSource source) {
        return source.hosts().isEmpty() ? "(no host)" : source.hosts().getFirst().name();
    }

    private static boolean samePath(Path a, Path b) {
        PoolRuntime.ResolvedPath ra = PoolRuntime.ResolvedPath.of(a);
        PoolRuntime.ResolvedPath rb = PoolRuntime.ResolvedPath.of(b);
        return ra.path().equals(rb.path()) || (ra.fileKey().isPresent() && Objects.equals(ra.fileKey(), rb.fileKey()));
    }
}
