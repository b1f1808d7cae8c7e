package org.libstorage.backends.iscsi;

import java.nio.charset.StandardCharsets;
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
import org.libstorage.nativelib.Iscsi;
import org.libstorage.nativelib.IscsiException;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/**
 * The {@code iscsi-direct} pool type: the LUNs of one iSCSI target, reached in user space through
 * libiscsi (no kernel initiator, no block devices). The definition is libvirt's: {@code <source>}
 * with {@code <host name port>}, {@code <device path='TARGET-IQN'>}, {@code <initiator><iqn
 * name>} and optional {@code <auth type='chap' username><secret usage|uuid/></auth>}.
 */
@PoolBackend.Serves(PoolType.ISCSI_DIRECT)
public final class IscsiDirectBackend implements PoolBackend {
    static final int DEFAULT_PORT = 3260;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);
    /** Used for find-pool-sources when the hint names no initiator. */
    static final String DEFAULT_INITIATOR = "iqn.2026-01.org.libstorage:initiator";

    private final Iscsi iscsi;
    private final Duration timeout;

    /** For {@link java.util.ServiceLoader}. */
    public IscsiDirectBackend() {
        this(Iscsi.library(), DEFAULT_TIMEOUT);
    }

    IscsiDirectBackend(Iscsi iscsi, Duration timeout) {
        this.iscsi = iscsi;
        this.timeout = timeout;
    }

    @Override
    public PoolType type() {
        return PoolType.ISCSI_DIRECT;
    }

    @Override
    public BackendStatus status() {
        if (!iscsi.isAvailable()) {
            return BackendStatus.unavailable(type(), iscsi.unavailableReason().orElseThrow());
        }
        return BackendStatus.available(type(), iscsi.soname().orElseThrow() + " (user-space initiator, no kernel support needed)");
    }

    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        Endpoint.of(definition);
        return definition;
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        return new IscsiDirectDriver(validate(definition), Endpoint.of(definition), iscsi,
                context == null || context.secrets() == null ? SecretStore.NONE : context.secrets(), timeout,
                context == null ? null : context.stateDir());
    }

    /**
     * SendTargets discovery at the hint's portal ({@code <host name port>}; the initiator IQN from
     * {@code <initiator>} or a default). CHAP for discovery is not supported: a hint's auth is
     * refused rather than silently ignored.
     */
    @Override
    public List<PoolSource> findPoolSources(Optional<PoolSource> hint) {
        String operation = "find-pool-sources";
        PoolSource source = hint.orElseThrow(() -> new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation,
                "Finding iscsi-direct pool sources needs a portal: a source with <host name='..' port='..'/>."));
        if (source.hosts().size() != 1) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation,
                    "Finding iscsi-direct pool sources needs exactly one <host>, not " + source.hosts().size() + ".");
        }
        PoolSource.Host host = Endpoint.checkHost(source.hosts().getFirst(), null, operation);
        String initiator = source.initiatorIqn().orElse(DEFAULT_INITIATOR);
        Endpoint.checkIqn("initiator IQN", initiator, null, operation);
        if (source.auth().isPresent()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, operation,
                    "CHAP authentication for SendTargets discovery is not supported; discover without <auth>.");
        }
        Iscsi.Portal portal = new Iscsi.Portal(host.name(), host.port().orElse(DEFAULT_PORT));
        List<Iscsi.Target> targets;
        try {
            targets = iscsi.discover(new Iscsi.SessionOptions(portal, initiator, Optional.empty(), Optional.empty(), timeout));
        } catch (LibraryUnavailableException e) {
            throw IscsiErrors.unavailable(e, null, operation);
        } catch (IscsiException e) {
            throw IscsiErrors.map(e, "portal " + portal, operation, "the iSCSI portal " + portal);
        }
        List<PoolSource> sources = new ArrayList<>();
        for (Iscsi.Target target : targets) {
            sources.add(PoolSource.builder()
                    .host(new PoolSource.Host(host.name(), OptionalInt.of(portal.port())))
                    .device(java.nio.file.Path.of(target.name()))
                    .initiatorIqn(initiator)
                    .build());
        }
        return sources;
    }

    /** Where an iscsi-direct pool's LUNs are: checked once, before anything touches the network. */
    record Endpoint(Iscsi.Portal portal, String target, String initiator, Optional<PoolSource.Auth> auth) {
        static Endpoint of(PoolDefinition definition) {
            String object = "pool '" + definition.name() + "'";
            String operation = "pool-define";
            PoolSource source = definition.source();
            if (source.hosts().size() != 1) {
                throw invalid(object, operation, "Pool '" + definition.name()
                        + "' of type iscsi-direct needs exactly one source <host name='..'/> (the portal), not "
                        + source.hosts().size() + ".");
            }
            PoolSource.Host host = checkHost(source.hosts().getFirst(), object, operation);
            if (source.devices().size() != 1) {
                throw invalid(object, operation, "Pool '" + definition.name()
                        + "' of type iscsi-direct needs exactly one source <device path='..'/> (the target IQN), not "
                        + source.devices().size() + ".");
            }
            String target = source.devices().getFirst().path().toString();
            checkIqn("target IQN", target, object, operation);
            String initiator = source.initiatorIqn().orElseThrow(() -> invalid(object, operation, "Pool '"
                    + definition.name() + "' of type iscsi-direct needs an initiator IQN (<initiator><iqn name='..'/>)."));
            checkIqn("initiator IQN", initiator, object, operation);
            if (source.auth().isPresent()) {
                PoolSource.Auth auth = source.auth().get();
                if (!auth.type().equals("chap")) {
                    throw invalid(object, operation, "Pool '" + definition.name() + "' has <auth type='" + auth.type()
                            + "'>; iscsi-direct pools take only type 'chap'.");
                }
                if (auth.username().isBlank() || auth.username().indexOf('\0') >= 0) {
                    throw invalid(object, operation, "The CHAP user name of pool '" + definition.name() + "' is empty.");
                }
            }
            return new Endpoint(new Iscsi.Portal(host.name(), host.port().orElse(DEFAULT_PORT)), target, initiator,
                    source.auth());
        }

        static PoolSource.Host checkHost(PoolSource.Host host, String object, String operation) {
            String name = host.name();
            if (name.isBlank() || name.length() > 255 || !name.matches("[A-Za-z0-9.:\\-_\\[\\]%]+")) {
                throw invalid(object, operation, "The iSCSI portal host '" + name
                        + "' is not a host name or IP address.");
            }
            return host;
        }

        /**
         * An iSCSI name as libvirt takes it: any string. RFC 7143 asks for iqn./eui./naa. forms,
         * but targets in the wild are named freely (libvirt's own tests use "demo-target"), so only
         * what cannot travel in a login request is refused: nothing, a control character, or more
         * than RFC 7143's 223 bytes.
         */
        static void checkIqn(String what, String name, String object, String operation) {
            boolean controls = name.chars().anyMatch(Character::isISOControl);
            if (name.isBlank() || controls || name.getBytes(StandardCharsets.UTF_8).length > 223) {
                throw invalid(object, operation, "The " + what + " '" + name.replaceAll("\\p{Cntrl}", "?")
                        + "' cannot be sent to a target: an iSCSI name must be 1 to 223 bytes without control characters.");
            }
        }

        private static StorageException invalid(String object, String operation, String message) {
            return new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, message);
        }

        /** {@code target IQN at host:port}, for messages. */
        String where() {
            return "target " + target + " at " + portal;
        }
    }
}
