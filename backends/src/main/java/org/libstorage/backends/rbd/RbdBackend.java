package org.libstorage.backends.rbd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.SecretStore;
import org.libstorage.StorageException;
import org.libstorage.nativelib.Rados;
import org.libstorage.nativelib.Rbd;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/**
 * The {@code rbd} pool type: the images of one Ceph pool (and namespace), reached in-process
 * through librados and librbd, as libvirt's rbd backend does. The definition is libvirt's:
 * {@code <source><name>POOL[/NAMESPACE]</name>}, one {@code <host name port/>} per monitor,
 * optional {@code <auth type='ceph' username='..'><secret usage|uuid/></auth>}, and
 * {@code <rbd:config_opts>} with Ceph settings applied to the connection.
 */
@PoolBackend.Serves(PoolType.RBD)
public final class RbdBackend implements PoolBackend {
    /**
     * Bounds connecting and every monitor and OSD call, as libvirt's 30 s does; a pool's
     * {@code rbd:config_opts} may set {@code client_mount_timeout}, {@code rados_mon_op_timeout}
     * and {@code rados_osd_op_timeout} itself.
     */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final Rbd rbd;
    private final Rados rados;

    /** For {@link java.util.ServiceLoader}. */
    public RbdBackend() {
        this(Rados.instance(), Rbd.instance());
    }

    RbdBackend(Rados rados, Rbd rbd) {
        this.rados = rados;
        this.rbd = rbd;
    }

    @Override
    public PoolType type() {
        return PoolType.RBD;
    }

    @Override
    public BackendStatus status() {
        if (!rbd.isAvailable()) {
            return BackendStatus.unavailable(type(), rbd.unavailableReason().orElseThrow());
        }
        return BackendStatus.available(type(), "librados " + rados.version() + ", librbd " + rbd.version());
    }

    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        Endpoint.of(definition);
        return definition;
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        SecretStore secrets = context == null || context.secrets() == null ? SecretStore.NONE : context.secrets();
        return new RbdPoolDriver(validate(definition), Endpoint.of(definition), rados, rbd, secrets,
                context == null ? null : context.stateDir());
    }

    /** Where an rbd pool's images are: checked once, before anything touches the network. */
    record Endpoint(String pool, Optional<String> namespace, List<String> monitors, Optional<PoolSource.Auth> auth,
                    Map<String, String> options) {
        static Endpoint of(PoolDefinition definition) {
            String object = "pool '" + definition.name() + "'";
            PoolSource source = definition.source();
            String spec = source.name().orElseThrow(() -> invalid(object, "Pool '" + definition.name()
                    + "' of type rbd needs a source <name> naming the Ceph pool (POOL or POOL/NAMESPACE)."));
            String[] parts = spec.split("/", -1);
            if (parts.length > 2 || !cephName(parts[0]) || (parts.length == 2 && !cephName(parts[1]))) {
                throw invalid(object, "The source name '" + spec + "' of pool '" + definition.name()
                        + "' is not POOL or POOL/NAMESPACE (letters, digits, '.', '-' and '_').");
            }
            if (source.hosts().isEmpty()) {
                throw invalid(object, "Pool '" + definition.name() + "' of type rbd needs at least one source"
                        + " <host name='..' port='..'/> naming a Ceph monitor; no ceph.conf is read.");
            }
            List<String> monitors = new ArrayList<>();
            for (PoolSource.Host host : source.hosts()) {
                String name = host.name();
                if (name.isBlank() || name.length() > 255 || !name.matches("[A-Za-z0-9.:\\-_\\[\\]%]+")) {
                    throw invalid(object, "The monitor host '" + name + "' of pool '" + definition.name()
                            + "' is not a host name or IP address.");
                }
                String h = name.indexOf(':') >= 0 && !name.startsWith("[") ? "[" + name + "]" : name;
                monitors.add(monitorAddress(h, host.port()));
            }
            if (source.auth().isPresent()) {
                PoolSource.Auth auth = source.auth().get();
                if (!auth.type().equals("ceph")) {
                    throw invalid(object, "Pool '" + definition.name() + "' has <auth type='" + auth.type()
                            + "'>; rbd pools take only type 'ceph'.");
                }
                if (!auth.username().matches("[A-Za-z0-9.\\-_]+")) {
                    throw invalid(object, "The Ceph user name '" + auth.username() + "' of pool '" + definition.name()
                            + "' is not a cephx id such as 'admin' or 'libvirt'.");
                }
            }
            Map<String, String> options = new LinkedHashMap<>();
            for (PoolDefinition.NameValue o : definition.configOptions()) {
                if (!o.name().matches("[A-Za-z0-9_ ]+") || o.value().indexOf('\0') >= 0) {
                    throw invalid(object, "The rbd:config_opts option '" + o.name() + "' of pool '" + definition.name()
                            + "' is not a Ceph option name.");
                }
                options.put(o.name(), o.value());
            }
            return new Endpoint(parts[0], parts.length == 2 ? Optional.of(parts[1]) : Optional.empty(), monitors,
                    source.auth(), options);
        }

        /**
         * A monitor address as {@code mon_host} takes it. Ceph reads a bare {@code host:port}
         * as msgr v1 for 6789 and guesses for other ports, trying v2 then v1 on the same port;
         * that guess turns a refused cephx key into a retry loop that ends only in a timeout.
         * So any port but 6789 (and 3300, v2 by definition) is given as {@code v2:}, the
         * protocol of every monitor since Nautilus. An {@code rbd:config_opts} option
         * {@code mon_host} still overrides the whole list.
         */
        static String monitorAddress(String host, java.util.OptionalInt port) {
            if (port.isEmpty()) {
                return host;
            }
            int p = port.getAsInt();
            return (p == 6789 ? "" : "v2:") + host + ":" + p;
        }

        private static boolean cephName(String s) {
            return !s.isEmpty() && s.length() <= 255 && s.matches("[A-Za-z0-9.\\-_]+") && !s.equals(".")
                    && !s.equals("..");
        }

        private static StorageException invalid(String object, String message) {
            return new StorageException(ErrorCode.INVALID_DEFINITION, object, "pool-define", message);
        }

        /** {@code POOL} or {@code POOL/NAMESPACE}, as keys and paths name it. */
        String spec() {
            return namespace.map(n -> pool + "/" + n).orElse(pool);
        }

        String user() {
            return auth.map(PoolSource.Auth::username).orElse("admin");
        }

        /**
         * The key librados takes: base64 text. A secret already in that form (what
         * {@code ceph auth get-key} prints) is used as is; raw key bytes (libvirt's secret
         * value after {@code secret-set-value --base64}) are encoded.
         */
        static byte[] cephKey(byte[] secret) {
            String text = new String(secret, StandardCharsets.ISO_8859_1).strip();
            if (text.matches("[A-Za-z0-9+/]+={0,2}")) {
                try {
                    java.util.Base64.getDecoder().decode(text);
                    return text.getBytes(StandardCharsets.US_ASCII);
                } catch (IllegalArgumentException notBase64) {
                    // fall through: raw bytes that happen to be printable
                }
            }
            return java.util.Base64.getEncoder().encode(secret);
        }
    }
}
