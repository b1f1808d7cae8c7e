package org.libstorage.backends.iscsi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.SecretStore;
import org.libstorage.StorageException;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.fallback.Iscsiadm;
import org.libstorage.nativelib.OpenIscsiUsr;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/**
 * libvirt's {@code iscsi} pool type: the kernel initiator logs in and the target's LUNs appear
 * as host block devices (see {@link IscsiKernelDriver}). Discovery and login run
 * {@code iscsiadm} (open-iscsi has no library for them); sessions are read in-process through
 * libopeniscsiusr where it is installed. Needs the kernel's iSCSI TCP transport (the
 * {@code iscsi_tcp} module, loaded or loadable), open-iscsi's {@code iscsiadm} and a running
 * {@code iscsid}; where the first two are missing the backend says so, definitions still
 * validate and round-trip as XML, and the core answers {@code BACKEND_UNAVAILABLE}. The
 * user-space {@code iscsi-direct} type needs neither.
 */
@PoolBackend.Serves(PoolType.ISCSI)
public final class IscsiKernelBackend implements PoolBackend {
    /** How long one iscsiadm call may take: a login retries for up to about two minutes by default. */
    static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);

    private final IscsiKernelDriver.Settings settings;
    private final Iscsiadm iscsiadm;
    private final KernelSessions sessions;

    /** For {@link java.util.ServiceLoader}. */
    public IscsiKernelBackend() {
        this(IscsiKernelDriver.Settings.host(), new Iscsiadm(CommandRunner.create().withTimeout(COMMAND_TIMEOUT)),
                OpenIscsiUsr.instance());
    }

    IscsiKernelBackend(IscsiKernelDriver.Settings settings, Iscsiadm iscsiadm, OpenIscsiUsr library) {
        this(settings, iscsiadm, KernelSessions.of(library, iscsiadm));
    }

    IscsiKernelBackend(IscsiKernelDriver.Settings settings, Iscsiadm iscsiadm, KernelSessions sessions) {
        this.settings = settings;
        this.iscsiadm = iscsiadm;
        this.sessions = sessions;
    }

    @Override
    public PoolType type() {
        return PoolType.ISCSI;
    }

    @Override
    public BackendStatus status() {
        return unavailableReason().map(reason -> BackendStatus.unavailable(type(), reason))
                .orElseGet(() -> BackendStatus.available(type(), "kernel initiator through iscsiadm; sessions read by "
                        + sessions.source()));
    }

    /** Why the kernel initiator cannot work here, or empty when its prerequisites are present. */
    Optional<String> unavailableReason() {
        List<String> missing = new ArrayList<>();
        if (!kernelHasInitiator()) {
            missing.add("this kernel has no iSCSI initiator (no " + settings.sysfs().resolve("class/iscsi_transport")
                    + ", and no iscsi_tcp module to load)");
        }
        if (!iscsiadm.available()) {
            missing.add("iscsiadm is not installed (Debian package open-iscsi)");
        }
        return missing.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", missing)
                + "; use a pool of type iscsi-direct, which logs in from user space through libiscsi");
    }

    /** The transport class is there, or the iscsi_tcp module is loaded, built in, or installed to be loaded. */
    private boolean kernelHasInitiator() {
        Path sysfs = settings.sysfs();
        if (Files.isDirectory(sysfs.resolve("class/iscsi_transport")) || Files.isDirectory(sysfs.resolve("module/iscsi_tcp"))) {
            return true;
        }
        try {
            String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
            Path modules = Path.of("/lib/modules", release);
            for (String index : List.of("modules.dep", "modules.builtin")) {
                Path file = modules.resolve(index);
                if (Files.isRegularFile(file)) {
                    try (var lines = Files.lines(file)) {
                        if (lines.anyMatch(l -> l.contains("/iscsi_tcp.ko"))) {
                            return true;
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    /** libvirt's rules: one portal host and one target IQN; an optional initiator IQN and CHAP. */
    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        endpoint(definition);
        return definition;
    }

    static IscsiKernelDriver.Endpoint endpoint(PoolDefinition definition) {
        String object = "pool '" + definition.name() + "'";
        String operation = "pool-define";
        PoolSource source = definition.source();
        if (source.hosts().size() != 1) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "Pool '" + definition.name()
                    + "' of type iscsi needs exactly one source <host name='..'/> (the portal).");
        }
        if (source.devices().size() != 1) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "Pool '" + definition.name()
                    + "' of type iscsi needs exactly one source <device path='..'/> (the target IQN).");
        }
        PoolSource.Host host = IscsiDirectBackend.Endpoint.checkHost(source.hosts().getFirst(), object, operation);
        String target = source.devices().getFirst().path().toString();
        IscsiDirectBackend.Endpoint.checkIqn("target IQN", target, object, operation);
        source.initiatorIqn().ifPresent(iqn -> IscsiDirectBackend.Endpoint.checkIqn("initiator IQN", iqn, object,
                operation));
        if (source.auth().isPresent()) {
            PoolSource.Auth auth = source.auth().get();
            if (!auth.type().equals("chap")) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "Pool '"
                        + definition.name() + "' has <auth type='" + auth.type() + "'>; iscsi pools take only type 'chap'.");
            }
            if (auth.username().isBlank() || !auth.username().chars().allMatch(c -> c > 0x20 && c != 0x7f)) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "The CHAP user name of pool '"
                        + definition.name() + "' is empty or holds blanks or control characters.");
            }
        }
        return new IscsiKernelDriver.Endpoint(host.name(), host.port().orElse(IscsiDirectBackend.DEFAULT_PORT), target,
                source.initiatorIqn(), source.auth());
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        return new IscsiKernelDriver(validate(definition), endpoint(definition), iscsiadm, sessions,
                context == null || context.secrets() == null ? SecretStore.NONE : context.secrets(), settings);
    }

    /**
     * SendTargets discovery at the hint's portal ({@code <host name port>}), through the
     * interface of the hint's initiator IQN when it names one (made if missing). Touches no node
     * record. CHAP for discovery is not supported: a hint's auth is refused, not ignored.
     */
    @Override
    public List<PoolSource> findPoolSources(Optional<PoolSource> hint) {
        String operation = "find-pool-sources";
        PoolSource source = hint.orElseThrow(() -> new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation,
                "Finding iscsi pool sources needs a portal: a source with <host name='..' port='..'/>."));
        if (source.hosts().size() != 1) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation,
                    "Finding iscsi pool sources needs exactly one <host>, not " + source.hosts().size() + ".");
        }
        PoolSource.Host host = IscsiDirectBackend.Endpoint.checkHost(source.hosts().getFirst(), null, operation);
        source.initiatorIqn().ifPresent(iqn -> IscsiDirectBackend.Endpoint.checkIqn("initiator IQN", iqn, null, operation));
        if (source.auth().isPresent()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation,
                    "CHAP authentication for SendTargets discovery is not supported; discover without <auth>.");
        }
        int port = host.port().orElse(IscsiDirectBackend.DEFAULT_PORT);
        String portal = Iscsiadm.portal(host.name(), port);
        Optional<String> iface = source.initiatorIqn().map(IscsiKernelDriver.Endpoint::ifaceName);
        List<Iscsiadm.Target> targets;
        try {
            if (iface.isPresent() && !Files.exists(settings.configRoot().resolve("ifaces").resolve(iface.get()))) {
                iscsiadm.newIface(iface.get());
                iscsiadm.updateIface(iface.get(), "iface.initiatorname", source.initiatorIqn().orElseThrow());
            }
            targets = iscsiadm.discover(portal, iface);
        } catch (CommandException e) {
            throw IscsiadmErrors.map(e, "portal " + portal, operation, "the iSCSI portal " + portal);
        }
        List<PoolSource> sources = new ArrayList<>();
        for (String target : targets.stream().map(Iscsiadm.Target::name).distinct().toList()) {
            PoolSource.Builder found = PoolSource.builder()
                    .host(new PoolSource.Host(host.name(), OptionalInt.of(port)))
                    .device(Path.of(target));
            source.initiatorIqn().ifPresent(found::initiatorIqn);
            sources.add(found.build());
        }
        return sources;
    }
}
