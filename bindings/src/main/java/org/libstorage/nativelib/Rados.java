package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.libstorage.bindings.rados.rados_cluster_stat_t;
import org.libstorage.bindings.rados.rados_h;
import org.libstorage.bindings.rados.rados_pool_stat_t;

/**
 * librados ({@code librados.so.2}, Debian {@code librados2}): a cluster connection configured
 * from explicit settings (never from {@code /etc/ceph}), with timeouts so that a dead or
 * unreachable cluster fails a call instead of hanging it, and I/O contexts per pool and
 * namespace, which {@link Rbd} works in.
 *
 * <p>librados returns a negative errno from each call rather than setting {@code errno}, so
 * no errno capture is needed: the return value is the error. Failures are thrown as
 * {@link NativeCallException} naming the function, the errno and what the call was about
 * (monitors, pool). Handles are {@link AutoCloseable} with an idempotent {@code close()}; a
 * cluster stays connected until it and every I/O context opened from it are closed, so a
 * stream still reading an image never sees its cluster shut down under it.
 */
public final class Rados {
    public static final String SONAME = "librados.so.2";
    public static final String DEBIAN_PACKAGE = "librados2";

    private static final class Holder {
        static final Rados INSTANCE = new Rados(NativeLibrary.probe("librados", SONAME, DEBIAN_PACKAGE));
    }

    private final NativeLibrary library;

    private Rados(NativeLibrary library) {
        this.library = library.requiringSymbols(List.of("rados_create2", "rados_conf_set", "rados_connect",
                "rados_ioctx_create", "rados_ioctx_set_namespace", "rados_get_instance_id"), "");
    }

    /** librados, probed once. */
    public static Rados instance() {
        return Holder.INSTANCE;
    }

    public boolean isAvailable() {
        return library.isAvailable();
    }

    /** Why librados cannot be used here (naming the soname and Debian package), or empty. */
    public Optional<String> unavailableReason() {
        return library.unavailableReason();
    }

    void requireAvailable() {
        library.requireAvailable();
    }

    /** librados's version, such as {@code 3.0.0}. */
    public String version() {
        library.requireAvailable();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT, 3);
            rados_h.rados_version(v, v.asSlice(4), v.asSlice(8));
            return v.getAtIndex(ValueLayout.JAVA_INT, 0) + "." + v.getAtIndex(ValueLayout.JAVA_INT, 1) + "."
                    + v.getAtIndex(ValueLayout.JAVA_INT, 2);
        }
    }

    /**
     * How to reach a cluster.
     *
     * @param monitors {@code host[:port]} of each monitor, as {@code mon_host} takes them
     * @param user     the cephx user without {@code client.} (libvirt's {@code username}), such as {@code admin}
     * @param key      the user's base64 key, or empty for a cluster without cephx; the caller's
     *                 array, used as is and zeroed by the caller; never shown by {@link #toString()}
     * @param options  further {@code name = value} settings ({@code rbd:config_opts}), applied last
     * @param timeout  bounds connecting, every monitor call and every OSD call
     */
    public record Config(List<String> monitors, String user, Optional<byte[]> key, Map<String, String> options,
                         Duration timeout) {
        public Config {
            monitors = List.copyOf(monitors);
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(key, "key");
            options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
            Objects.requireNonNull(timeout, "timeout");
            if (monitors.isEmpty()) {
                throw new IllegalArgumentException("a Ceph cluster needs at least one monitor address");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("the timeout must be positive");
            }
            for (String s : monitors) {
                requireText("monitor address", s);
            }
            requireText("user", user);
            options.forEach((k, v) -> {
                requireText("option name", k);
                if (v.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("option " + k + " has a NUL in its value");
                }
            });
        }

        /** {@code mon_host}: the monitors joined as Ceph takes them. */
        public String monHost() {
            return String.join(",", monitors);
        }

        @Override
        public String toString() {
            return "Config[monitors=" + monitors + ", user=" + user + ", key=" + (key.isPresent() ? "(hidden)" : "none")
                    + ", options=" + options + ", timeout=" + timeout + "]";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.monitors.equals(monitors) && c.user.equals(user)
                    && c.key.isPresent() == key.isPresent()
                    && (key.isEmpty() || Arrays.equals(c.key.get(), key.get())) && c.options.equals(options)
                    && c.timeout.equals(timeout);
        }

        @Override
        public int hashCode() {
            return Objects.hash(monitors, user, options, timeout);
        }
    }

    private static void requireText(String what, String s) {
        Objects.requireNonNull(s, what);
        if (s.isBlank() || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("the " + what + " is empty or contains NUL");
        }
    }

    /**
     * Creates a cluster handle, configures it and connects. The settings are exactly
     * {@code config}'s: no configuration file or environment variable is read, so the result
     * does not depend on the host's {@code /etc/ceph}.
     *
     * @throws NativeCallException {@code rados_connect} with {@code ETIMEDOUT} when no monitor
     *         answered within the timeout, {@code EACCES}/{@code EPERM} when cephx refused the key
     */
    public Cluster connect(Config config) {
        Objects.requireNonNull(config, "config");
        library.requireAvailable();
        String where = "monitors " + config.monHost();
        MemorySegment handle;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(rados_h.rados_create2(out, Libc.cString(arena, "ceph"),
                    Libc.cString(arena, "client." + config.user()), 0), "rados_create2", "user client." + config.user());
            handle = out.get(ValueLayout.ADDRESS, 0);
        }
        Cluster cluster = new Cluster(handle, config.monHost());
        try {
            long seconds = Math.max(1, (config.timeout().toMillis() + 999) / 1000);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("mon_host", config.monHost());
            // Clients log to stderr by default; a library must not write to its host's stderr.
            settings.put("log_to_stderr", "false");
            settings.put("err_to_stderr", "false");
            settings.put("log_file", "");
            settings.put("keyring", "");
            settings.put("client_mount_timeout", Long.toString(seconds));
            settings.put("rados_mon_op_timeout", Long.toString(seconds));
            settings.put("rados_osd_op_timeout", Long.toString(seconds));
            // A dead monitor is otherwise retried for as long as the mount timeout allows.
            settings.put("mon_client_hunt_interval", "1");
            if (config.key().isPresent()) {
                settings.put("auth_client_required", "cephx");
            } else {
                settings.put("auth_client_required", "none");
            }
            settings.putAll(config.options());
            for (Map.Entry<String, String> e : settings.entrySet()) {
                cluster.set(e.getKey(), e.getValue());
            }
            if (config.key().isPresent()) {
                cluster.setSecret("key", config.key().get());
            }
            try (Arena arena = Arena.ofConfined()) {
                check(rados_h.rados_connect(cluster.handle()), "rados_connect", where + " as client." + config.user());
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** Throws the call's failure when {@code rc} is a negative errno; returns it otherwise. */
    static int check(int rc, String function, String about) {
        if (rc < 0) {
            throw failure(SONAME, function, -rc, about);
        }
        return rc;
    }

    static NativeCallException failure(String soname, String function, int errno, String about) {
        Libc libc = Libc.instance();
        return new NativeCallException(soname, function, errno, libc.errnoName(errno),
                libc.strerror(errno) + " (" + about + ")");
    }

    /**
     * Reference-counted ownership of a native handle: {@link #close()} drops the owner's
     * reference, and the handle is freed when the last user ({@link #retain}ed by a child) is
     * done. After close, new uses are refused.
     */
    abstract static sealed class Handle implements AutoCloseable permits Cluster, IoContext, Rbd.Image {
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicInteger references = new AtomicInteger(1);

        final void retain() {
            int n;
            do {
                n = references.get();
                if (n <= 0 || closed.get()) {
                    throw new IllegalStateException(this + " is closed");
                }
            } while (!references.compareAndSet(n, n + 1));
        }

        final void release() {
            if (references.decrementAndGet() == 0) {
                free();
            }
        }

        final void requireOpen() {
            if (closed.get()) {
                throw new IllegalStateException(this + " is closed");
            }
        }

        /** Frees the native handle; called once, when the last reference is released. */
        abstract void free();

        @Override
        public final void close() {
            if (closed.compareAndSet(false, true)) {
                release();
            }
        }
    }

    /** A connected cluster handle ({@code rados_t}). Thread-safe, as librados is. */
    public static final class Cluster extends Handle {
        private final MemorySegment handle;
        private final String monitors;

        private Cluster(MemorySegment handle, String monitors) {
            this.handle = handle;
            this.monitors = monitors;
        }

        MemorySegment handle() {
            return handle;
        }

        /** The monitors this cluster was reached through, as configured. */
        public String monitors() {
            return monitors;
        }

        private void set(String option, String value) {
            try (Arena arena = Arena.ofConfined()) {
                check(rados_h.rados_conf_set(handle, Libc.cString(arena, option), Libc.cString(arena, value)),
                        "rados_conf_set", "option " + option);
            }
        }

        /** Sets a secret option, copying it into native memory that is zeroed before it is freed. */
        private void setSecret(String option, byte[] value) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment v = arena.allocate(value.length + 1L);
                MemorySegment.copy(value, 0, v, ValueLayout.JAVA_BYTE, 0, value.length);
                try {
                    check(rados_h.rados_conf_set(handle, Libc.cString(arena, option), v), "rados_conf_set",
                            "option " + option);
                } finally {
                    v.fill((byte) 0);
                }
            }
        }

        /** The client's global id in the cluster (its {@code client.N}), as watchers report it. */
        public long instanceId() {
            requireOpen();
            return rados_h.rados_get_instance_id(handle);
        }

        /** The cluster's fsid. */
        public String fsid() {
            requireOpen();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(64);
                check(rados_h.rados_cluster_fsid(handle, buf, buf.byteSize()), "rados_cluster_fsid", "monitors " + monitors);
                return buf.getString(0);
            }
        }

        /** The cluster's raw space in bytes: total, used, available. Zero without a ceph-mgr reporting it. */
        public Space space() {
            requireOpen();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment stat = rados_cluster_stat_t.allocate(arena);
                check(rados_h.rados_cluster_stat(handle, stat), "rados_cluster_stat", "monitors " + monitors);
                return new Space(rados_cluster_stat_t.kb(stat) * 1024, rados_cluster_stat_t.kb_used(stat) * 1024,
                        rados_cluster_stat_t.kb_avail(stat) * 1024);
            }
        }

        /**
         * An I/O context on {@code pool}, within {@code namespace} when given.
         *
         * @throws NativeCallException {@code rados_ioctx_create} with {@code ENOENT} when there is no such pool
         */
        public IoContext open(String pool, Optional<String> namespace) {
            requireText("pool name", pool);
            namespace.ifPresent(n -> requireText("namespace", n));
            retain();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                check(rados_h.rados_ioctx_create(handle, Libc.cString(arena, pool), out), "rados_ioctx_create",
                        "pool " + pool + " at monitors " + monitors);
                MemorySegment io = out.get(ValueLayout.ADDRESS, 0);
                if (namespace.isPresent()) {
                    rados_h.rados_ioctx_set_namespace(io, Libc.cString(arena, namespace.get()));
                }
                return new IoContext(this, io, pool, namespace);
            } catch (RuntimeException e) {
                release();
                throw e;
            }
        }

        @Override
        void free() {
            rados_h.rados_shutdown(handle);
        }

        @Override
        public String toString() {
            return "Rados.Cluster[" + monitors + "]";
        }
    }

    /** Raw space in bytes. */
    public record Space(long total, long used, long available) {
    }

    /** Statistics of one pool: bytes stored and objects. */
    public record PoolStats(long bytes, long objects) {
    }

    /** An I/O context ({@code rados_ioctx_t}) on one pool and namespace. */
    public static final class IoContext extends Handle {
        private final Cluster cluster;
        private final MemorySegment handle;
        private final String pool;
        private final Optional<String> namespace;

        private IoContext(Cluster cluster, MemorySegment handle, String pool, Optional<String> namespace) {
            this.cluster = cluster;
            this.handle = handle;
            this.pool = pool;
            this.namespace = namespace;
        }

        MemorySegment handle() {
            return handle;
        }

        public Cluster cluster() {
            return cluster;
        }

        public String pool() {
            return pool;
        }

        public Optional<String> namespace() {
            return namespace;
        }

        /** {@code POOL} or {@code POOL/NAMESPACE}, as libvirt names an rbd pool's source. */
        public String spec() {
            return namespace.map(n -> pool + "/" + n).orElse(pool);
        }

        /** What the pool stores (the whole pool, whatever the namespace). Zero without a ceph-mgr. */
        public PoolStats stats() {
            requireOpen();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment stat = rados_pool_stat_t.allocate(arena);
                check(rados_h.rados_ioctx_pool_stat(handle, stat), "rados_ioctx_pool_stat", "pool " + pool);
                return new PoolStats(rados_pool_stat_t.num_bytes(stat), rados_pool_stat_t.num_objects(stat));
            }
        }

        @Override
        void free() {
            rados_h.rados_ioctx_destroy(handle);
            cluster.release();
        }

        @Override
        public String toString() {
            return "Rados.IoContext[" + spec() + "]";
        }
    }
}
