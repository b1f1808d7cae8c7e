package org.libstorage.backends.iscsi;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/**
 * libvirt's {@code iscsi} pool type: the kernel initiator logs in ({@code iscsiadm}) and LUNs
 * appear as host block devices. That needs the kernel's iSCSI transport (the {@code iscsi_tcp}
 * module, seen in {@code /sys/class/iscsi_transport}) and open-iscsi's {@code iscsiadm}; where
 * either is missing the backend says so, definitions still validate and round-trip as XML, and
 * every operation fails with {@code BACKEND_UNAVAILABLE}. The user-space {@code iscsi-direct}
 * type needs neither.
 */
@PoolBackend.Serves(PoolType.ISCSI)
public final class IscsiKernelBackend implements PoolBackend {
    private final Path sysfs;
    private final List<Path> searchPath;

    /** For {@link java.util.ServiceLoader}. */
    public IscsiKernelBackend() {
        this(Path.of("/sys"), List.of(Path.of("/usr/sbin"), Path.of("/sbin"), Path.of("/usr/bin"), Path.of("/bin")));
    }

    IscsiKernelBackend(Path sysfs, List<Path> searchPath) {
        this.sysfs = sysfs;
        this.searchPath = List.copyOf(searchPath);
    }

    @Override
    public PoolType type() {
        return PoolType.ISCSI;
    }

    @Override
    public BackendStatus status() {
        return unavailableReason().map(reason -> BackendStatus.unavailable(type(), reason))
                .orElseGet(() -> BackendStatus.unavailable(type(),
                        "the kernel-initiator iscsi pool is not implemented yet; use type iscsi-direct (libiscsi)"));
    }

    /** Why the kernel initiator cannot work here, or empty when its prerequisites are present. */
    Optional<String> unavailableReason() {
        List<String> missing = new ArrayList<>();
        Path transports = sysfs.resolve("class/iscsi_transport");
        if (!Files.isDirectory(transports) && !Files.isDirectory(sysfs.resolve("module/iscsi_tcp"))) {
            missing.add("this kernel has no iSCSI initiator (no " + transports
                    + "; the iscsi_tcp module is not loaded or not built)");
        }
        if (searchPath.stream().noneMatch(dir -> Files.isExecutable(dir.resolve("iscsiadm")))) {
            missing.add("iscsiadm is not installed (Debian package open-iscsi)");
        }
        return missing.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", missing)
                + "; use a pool of type iscsi-direct, which logs in from user space through libiscsi");
    }

    /** libvirt's rules: one portal host and one target IQN as the source device. */
    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        String object = "pool '" + definition.name() + "'";
        if (definition.source().hosts().size() != 1) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, "pool-define", "Pool '" + definition.name()
                    + "' of type iscsi needs exactly one source <host name='..'/> (the portal).");
        }
        if (definition.source().devices().size() != 1) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, "pool-define", "Pool '" + definition.name()
                    + "' of type iscsi needs exactly one source <device path='..'/> (the target IQN).");
        }
        IscsiDirectBackend.Endpoint.checkHost(definition.source().hosts().getFirst(), object, "pool-define");
        IscsiDirectBackend.Endpoint.checkIqn("target IQN", definition.source().devices().getFirst().path().toString(),
                object, "pool-define");
        return definition;
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        PoolDefinition valid = validate(definition);
        String reason = status().reason().orElseThrow();
        return new PoolDriver() {
            @Override
            public PoolDefinition definition() {
                return valid;
            }

            @Override
            public void start() {
                throw unavailable("pool-start");
            }

            @Override
            public void stop() {
                throw unavailable("pool-stop");
            }

            @Override
            public boolean isActive() {
                return false;
            }

            @Override
            public org.libstorage.spi.PoolContents refresh() {
                throw unavailable("pool-refresh");
            }

            private StorageException unavailable(String operation) {
                return new StorageException(ErrorCode.BACKEND_UNAVAILABLE, "pool '" + valid.name() + "'", operation,
                        "Pools of type iscsi cannot run here: " + reason + ".");
            }
        };
    }
}
