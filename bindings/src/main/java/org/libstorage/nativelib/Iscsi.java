package org.libstorage.nativelib;

import static org.libstorage.bindings.iscsi.iscsi_h.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.libstorage.bindings.iscsi.iscsi_discovery_address;
import org.libstorage.bindings.iscsi.iscsi_log_fn;
import org.libstorage.bindings.iscsi.iscsi_target_portal;
import org.libstorage.bindings.iscsi.scsi_data;
import org.libstorage.bindings.iscsi.scsi_inquiry_block_limits;
import org.libstorage.bindings.iscsi.scsi_inquiry_logical_block_provisioning;
import org.libstorage.bindings.iscsi.scsi_inquiry_standard;
import org.libstorage.bindings.iscsi.scsi_iovec;
import org.libstorage.bindings.iscsi.scsi_readcapacity16;
import org.libstorage.bindings.iscsi.scsi_reportluns_list;
import org.libstorage.bindings.iscsi.scsi_sense;
import org.libstorage.bindings.iscsi.scsi_task;
import org.libstorage.bindings.iscsi.unmap_list;

/**
 * libiscsi, the user-space iSCSI initiator, through its synchronous API.
 *
 * <p><b>Loading.</b> Debian ships libiscsi as {@code libiscsi.so.7} (1.19); newer releases use
 * {@code .so.9} to {@code .so.11}. jextract's {@code --library :libiscsi.so.7} would hard-wire one
 * soname into the generated class's static initialiser, which fails with
 * {@link ExceptionInInitializerError} wherever that exact file is missing. So the bindings are
 * generated without {@code --library}: their lookup is the class loader's
 * ({@code SymbolLookup.loaderLookup()}). {@link #library()} probes each soname with the dynamic
 * loader's own search ({@link SymbolLookup#libraryLookup(String, Arena)}, which never throws past
 * us), finds the file it mapped in {@code /proc/self/maps}, and registers that file with this
 * class loader through {@link System#load}. Only after that succeeds is any generated class
 * touched, so a missing libiscsi is reported, never thrown as a linkage error.
 *
 * <p><b>Sessions.</b> A {@link Session} owns one libiscsi context, which is not thread-safe: every
 * call on it holds the session's lock, so one thread at a time uses it (another thread waits,
 * at most the session's timeout). Every session has a timeout ({@code iscsi_set_timeout}, plus
 * TCP SYN retries and TCP user timeout), and automatic reconnection is off, so a target that
 * goes away fails the call in flight instead of retrying forever.
 */
public final class Iscsi {
    /** The sonames tried, in order. */
    public static final List<String> SONAMES = List.of("libiscsi.so.7", "libiscsi.so.9", "libiscsi.so.10",
            "libiscsi.so.11");
    /** The Debian package providing {@code libiscsi.so.7}. */
    public static final String DEBIAN_PACKAGE = "libiscsi7";

    /** The largest transfer one READ(16)/WRITE(16) carries here; large enough to stream well. */
    public static final int MAX_TRANSFER_BYTES = 1 << 20;

    private static final int STATUS_GOOD = 0x00;
    private static final int SENSE_UNIT_ATTENTION = 0x06;

    private final String soname;
    private final String failure;

    private Iscsi(String soname, String failure) {
        this.soname = soname;
        this.failure = failure;
    }

    private static final class Loaded {
        static final Iscsi LIBRARY = load();
    }

    /** libiscsi as found on this host; probing happens once and never throws. */
    public static Iscsi library() {
        return Loaded.LIBRARY;
    }

    private static Iscsi load() {
        List<String> reasons = new ArrayList<>();
        for (String candidate : SONAMES) {
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(candidate, Arena.global());
            } catch (IllegalArgumentException | IllegalCallerException | UnsatisfiedLinkError e) {
                reasons.add(candidate + ": " + e.getMessage());
                continue;
            }
            Optional<MemorySegment> symbol = lookup.find("iscsi_create_context");
            if (symbol.isEmpty()) {
                reasons.add(candidate + " has no iscsi_create_context");
                continue;
            }
            try {
                Path file = mappedFile(symbol.get().address()).orElseThrow(
                        () -> new IOException("not found in /proc/self/maps"));
                System.load(file.toString());
                return new Iscsi(candidate, null);
            } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
                reasons.add(candidate + ": cannot register the loaded file: " + e.getMessage());
            }
        }
        return new Iscsi(null, String.join("; ", reasons));
    }

    /** The file mapped at {@code address} in this process, from {@code /proc/self/maps}. */
    private static Optional<Path> mappedFile(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] fields = line.trim().split("\\s+", 6);
            if (fields.length < 6 || !fields[5].startsWith("/")) {
                continue;
            }
            String[] range = fields[0].split("-");
            long start = Long.parseUnsignedLong(range[0], 16);
            long end = Long.parseUnsignedLong(range[1], 16);
            if (Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0) {
                return Optional.of(Path.of(fields[5]));
            }
        }
        return Optional.empty();
    }

    public boolean isAvailable() {
        return soname != null;
    }

    /** The soname in use, when available. */
    public Optional<String> soname() {
        return Optional.ofNullable(soname);
    }

    /** Why libiscsi cannot be used here, naming the package to install; empty when it can. */
    public Optional<String> unavailableReason() {
        return isAvailable() ? Optional.empty() : Optional.of(unavailable().getMessage());
    }

    private LibraryUnavailableException unavailable() {
        return new LibraryUnavailableException("libiscsi", SONAMES.getFirst(), DEBIAN_PACKAGE,
                "tried " + String.join(", ", SONAMES) + ": " + failure);
    }

    private void requireAvailable() {
        if (!isAvailable()) {
            throw unavailable();
        }
    }

    // ---- values -------------------------------------------------------------------------------

    /** A portal: host name or address and TCP port. */
    public record Portal(String host, int port) {
        public Portal {
            Objects.requireNonNull(host, "host");
            if (host.isBlank() || host.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("portal host is empty or contains NUL");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("portal port " + port + " is not between 1 and 65535");
            }
        }

        /** As libiscsi takes it: {@code host:port}, IPv6 addresses in brackets. */
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * CHAP credentials. The secret is the caller's array, used as is (not copied) and never
     * shown by {@link #toString()}; the caller zeroes it when done.
     */
    public record Chap(String username, byte[] secret) {
        public Chap {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(secret, "secret");
        }

        @Override
        public String toString() {
            return "Chap[username=" + username + ", secret=(hidden)]";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Chap c && c.username.equals(username) && Arrays.equals(c.secret, secret);
        }

        @Override
        public int hashCode() {
            return username.hashCode();
        }
    }

    /**
     * How to reach a target.
     *
     * @param target the target IQN; empty for a discovery session
     * @param timeout how long any one step (connect, login, command) may take; at least 1 s
     */
    public record SessionOptions(Portal portal, String initiatorIqn, Optional<String> target, Optional<Chap> chap,
                                 Duration timeout) {
        public SessionOptions {
            Objects.requireNonNull(portal, "portal");
            Objects.requireNonNull(initiatorIqn, "initiatorIqn");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(chap, "chap");
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.toSeconds() < 1) {
                throw new IllegalArgumentException("timeout must be at least one second");
            }
        }
    }

    /** A target found by SendTargets discovery, with its portals ({@code host:port,tpgt}). */
    public record Target(String name, List<String> portals) {
        public Target {
            portals = List.copyOf(portals);
        }
    }

    /** Standard INQUIRY data. {@code deviceType} is the SPC peripheral device type (0 = disk). */
    public record Inquiry(int qualifier, int deviceType, String vendor, String product, String revision) {
        public boolean isDisk() {
            return deviceType == 0x00;
        }

        /** The device type in words, as SPC names it (libvirt lists non-disk LUNs by it). */
        public String deviceTypeName() {
            return switch (deviceType) {
                case 0x00 -> "disk";
                case 0x01 -> "tape";
                case 0x02 -> "printer";
                case 0x03 -> "processor";
                case 0x04 -> "worm";
                case 0x05 -> "cd/dvd";
                case 0x06 -> "scanner";
                case 0x07 -> "optical";
                case 0x08 -> "medium-changer";
                case 0x09 -> "communications";
                case 0x0c -> "storage-array-controller";
                case 0x0d -> "enclosure";
                case 0x0e -> "simplified-disk";
                case 0x0f -> "optical-card-reader";
                case 0x11 -> "object-storage";
                case 0x12 -> "automation";
                case 0x1e -> "well-known-lun";
                default -> String.format("type-0x%02x", deviceType);
            };
        }
    }

    /** READ CAPACITY(16): the last LBA, the block length, and the provisioning bits. */
    public record Capacity(long lastLba, int blockLength, boolean thinProvisioned, boolean readsZeroAfterUnmap) {
        public long blocks() {
            return lastLba + 1;
        }

        /** {@code (last LBA + 1) × block length}. */
        public long bytes() {
            return Math.multiplyExact(lastLba + 1, (long) blockLength);
        }
    }

    /** The Logical Block Provisioning VPD page (B2h): which deallocation commands the LUN takes. */
    public record Provisioning(boolean unmap, boolean writeSameUnmap, boolean readsZeroAfterUnmap) {
    }

    /** The Block Limits VPD page (B0h); 0 means no limit reported. */
    public record BlockLimits(long maxTransferBlocks, long maxUnmapBlocks, long maxUnmapDescriptors,
                              long maxWriteSameBlocks) {
    }

    // ---- sessions -----------------------------------------------------------------------------

    /**
     * Connects and logs in to {@code options.target()} (a normal session).
     *
     * @throws IscsiException with kind CONNECT, TIMEOUT, AUTHENTICATION, AUTHORIZATION,
     *         TARGET_NOT_FOUND or LOGIN
     * @throws LibraryUnavailableException when libiscsi is not installed
     */
    public Session login(SessionOptions options) {
        if (options.target().isEmpty()) {
            throw new IllegalArgumentException("a normal session needs a target IQN");
        }
        requireAvailable();
        return new Session(soname, options);
    }

    /**
     * SendTargets discovery at a portal: logs in to a discovery session, lists the targets,
     * logs out.
     */
    public List<Target> discover(SessionOptions options) {
        requireAvailable();
        SessionOptions discovery = new SessionOptions(options.portal(), options.initiatorIqn(), Optional.empty(),
                options.chap(), options.timeout());
        try (Session session = new Session(soname, discovery)) {
            return session.sendTargets();
        }
    }

    /** One logged-in libiscsi context. Use from one thread at a time (calls hold its lock). */
    public static final class Session implements AutoCloseable {
        private final String library;
        private final SessionOptions options;
        private final ReentrantLock lock = new ReentrantLock();
        private final Arena buffers = Arena.ofShared();
        private MemorySegment context;
        private MemorySegment transfer = MemorySegment.NULL;
        private boolean loggedIn;
        /** Errors libiscsi logged during the current call, first first (see {@link #connectAndLogin}). */
        private final List<String> logged = new ArrayList<>();

        private Session(String library, SessionOptions options) {
            this.library = library;
            this.options = options;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ctx = iscsi_create_context(arena.allocateFrom(options.initiatorIqn()));
                if (ctx.equals(MemorySegment.NULL)) {
                    buffers.close();
                    throw new IscsiException(library, "iscsi_create_context", IscsiException.Kind.OTHER,
                            "cannot create a context for initiator " + options.initiatorIqn(), null);
                }
                context = ctx;
            }
            try {
                connectAndLogin();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /**
         * libiscsi keeps only its last error, and for a failed TCP connect 1.19 overwrites the
         * socket error ("Connection refused") with a generic reconnect message. Every error it
         * sets is also logged at level 1, so a per-session log callback keeps them in order.
         * Level 1 carries errors only (higher levels trace login negotiation, never wanted here).
         */
        private void captureErrors() {
            MemorySegment stub = iscsi_log_fn.allocate((level, message) -> {
                // An upcall must not throw: the JVM would abort.
                try {
                    if (logged.size() < 16) {
                        logged.add(cString(message).strip());
                    }
                } catch (Throwable ignored) {
                    // nothing safe to do
                }
            }, buffers);
            iscsi_set_log_fn(context, stub);
            iscsi_set_log_level(context, 1);
        }

        /** What went wrong, most specific first: the first error logged, then the last one kept. */
        private String errorDetail() {
            String last = error();
            if (logged.isEmpty() || logged.getFirst().equals(last) || last.contains(logged.getFirst())) {
                return last;
            }
            return logged.getFirst() + "; then: " + last;
        }

        private void connectAndLogin() {
            captureErrors();
            int seconds = (int) Math.min(Integer.MAX_VALUE, options.timeout().toSeconds());
            iscsi_set_timeout(context, seconds);
            // Fail instead of reconnecting in the background: a sync call must end.
            iscsi_set_noautoreconnect(context, 1);
            iscsi_set_reconnect_max_retries(context, 0);
            // Bound TCP connect (SYN retries: 2 gives about 7 s) and unacknowledged data.
            iscsi_set_tcp_syncnt(context, 2);
            iscsi_set_tcp_user_timeout(context, (int) Math.min(Integer.MAX_VALUE, options.timeout().toMillis()));
            try (Arena arena = Arena.ofConfined()) {
                if (options.target().isPresent()) {
                    check("iscsi_set_session_type", iscsi_set_session_type(context, ISCSI_SESSION_NORMAL()));
                    check("iscsi_set_targetname",
                            iscsi_set_targetname(context, arena.allocateFrom(options.target().get())));
                } else {
                    check("iscsi_set_session_type", iscsi_set_session_type(context, ISCSI_SESSION_DISCOVERY()));
                }
                check("iscsi_set_header_digest", iscsi_set_header_digest(context, ISCSI_HEADER_DIGEST_NONE_CRC32C()));
                if (options.chap().isPresent()) {
                    Chap chap = options.chap().get();
                    MemorySegment secret = arena.allocate(chap.secret().length + 1L);
                    MemorySegment.copy(chap.secret(), 0, secret, ValueLayout.JAVA_BYTE, 0, chap.secret().length);
                    try {
                        // libiscsi copies both strings into the context.
                        check("iscsi_set_initiator_username_pwd", iscsi_set_initiator_username_pwd(context,
                                arena.allocateFrom(chap.username()), secret));
                    } finally {
                        secret.fill((byte) 0);
                    }
                }
                logged.clear();
                if (iscsi_connect_sync(context, arena.allocateFrom(options.portal().toString())) != 0) {
                    String message = errorDetail();
                    throw new IscsiException(library, "iscsi_connect_sync",
                            message.toLowerCase().contains("timed out") ? IscsiException.Kind.TIMEOUT
                                    : IscsiException.Kind.CONNECT,
                            "cannot connect to " + options.portal() + ": " + message, null);
                }
                logged.clear();
                if (iscsi_login_sync(context) != 0) {
                    String message = errorDetail();
                    throw new IscsiException(library, "iscsi_login_sync", loginFailure(message), message, null);
                }
                loggedIn = true;
            }
        }

        /** Classifies a login failure by the login response status libiscsi puts in its message. */
        private static IscsiException.Kind loginFailure(String message) {
            if (message.contains("(513)") || message.contains("Authentication failure")) {
                return IscsiException.Kind.AUTHENTICATION;
            }
            if (message.contains("(514)") || message.contains("Authorization failure")) {
                return IscsiException.Kind.AUTHORIZATION;
            }
            if (message.contains("(515)") || message.contains("(516)") || message.contains("Target not found")
                    || message.contains("Target removed")) {
                return IscsiException.Kind.TARGET_NOT_FOUND;
            }
            if (message.toLowerCase().contains("timed out") || message.toLowerCase().contains("timeout")) {
                return IscsiException.Kind.TIMEOUT;
            }
            if (message.contains("reconnect") || message.contains("socket") || message.contains("Connection")) {
                return IscsiException.Kind.CONNECTION_LOST;
            }
            return IscsiException.Kind.LOGIN;
        }

        public SessionOptions options() {
            return options;
        }

        /** The LUN numbers the target reports (REPORT LUNS, all LUNs). */
        public List<Integer> reportLuns() {
            return locked(() -> {
                MemorySegment task = command("iscsi_reportluns_sync", -1,
                        () -> iscsi_reportluns_sync(context, 0, 16384));
                try {
                    MemorySegment list = unmarshall("iscsi_reportluns_sync", task);
                    int count = scsi_reportluns_list.num(list.reinterpret(scsi_reportluns_list.sizeof()));
                    // luns is a flexible array member (luns[0]); jextract's accessor is bounded by
                    // its zero length, so the elements are read past it by offset.
                    long first = scsi_reportluns_list.luns$offset();
                    MemorySegment full = list.reinterpret(first + 2L * count);
                    List<Integer> luns = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        luns.add(Short.toUnsignedInt(full.get(ValueLayout.JAVA_SHORT, first + 2L * i)));
                    }
                    return luns;
                } finally {
                    scsi_free_scsi_task(task);
                }
            });
        }

        /** Standard INQUIRY of {@code lun}. */
        public Inquiry inquiry(int lun) {
            return locked(() -> {
                MemorySegment task = command("iscsi_inquiry_sync", lun, () -> iscsi_inquiry_sync(context, lun, 0, 0, 255));
                try {
                    MemorySegment inq = unmarshall("iscsi_inquiry_sync", task).reinterpret(scsi_inquiry_standard.sizeof());
                    return new Inquiry(scsi_inquiry_standard.qualifier(inq), scsi_inquiry_standard.device_type(inq),
                            text(scsi_inquiry_standard.vendor_identification(inq)),
                            text(scsi_inquiry_standard.product_identification(inq)),
                            text(scsi_inquiry_standard.product_revision_level(inq)));
                } finally {
                    scsi_free_scsi_task(task);
                }
            });
        }

        /** READ CAPACITY(16) of {@code lun}. */
        public Capacity readCapacity16(int lun) {
            return locked(() -> {
                MemorySegment task = command("iscsi_readcapacity16_sync", lun,
                        () -> iscsi_readcapacity16_sync(context, lun));
                try {
                    MemorySegment rc = unmarshall("iscsi_readcapacity16_sync", task).reinterpret(scsi_readcapacity16.sizeof());
                    return new Capacity(scsi_readcapacity16.returned_lba(rc),
                            scsi_readcapacity16.block_length(rc), scsi_readcapacity16.lbpme(rc) != 0,
                            scsi_readcapacity16.lbprz(rc) != 0);
                } finally {
                    scsi_free_scsi_task(task);
                }
            });
        }

        /** The Logical Block Provisioning VPD page; empty when the LUN does not have it. */
        public Optional<Provisioning> provisioning(int lun) {
            return vpd(lun, SCSI_INQUIRY_PAGECODE_LOGICAL_BLOCK_PROVISIONING(), page -> {
                MemorySegment p = page.reinterpret(scsi_inquiry_logical_block_provisioning.sizeof());
                return new Provisioning(scsi_inquiry_logical_block_provisioning.lbpu(p) != 0,
                        scsi_inquiry_logical_block_provisioning.lbpws(p) != 0,
                        scsi_inquiry_logical_block_provisioning.lbprz(p) != 0);
            });
        }

        /** The Block Limits VPD page; empty when the LUN does not have it. */
        public Optional<BlockLimits> blockLimits(int lun) {
            return vpd(lun, SCSI_INQUIRY_PAGECODE_BLOCK_LIMITS(), page -> {
                MemorySegment b = page.reinterpret(scsi_inquiry_block_limits.sizeof());
                return new BlockLimits(Integer.toUnsignedLong(scsi_inquiry_block_limits.max_xfer_len(b)),
                        Integer.toUnsignedLong(scsi_inquiry_block_limits.max_unmap(b)),
                        Integer.toUnsignedLong(scsi_inquiry_block_limits.max_unmap_bdc(b)),
                        scsi_inquiry_block_limits.max_ws_len(b));
            });
        }

        private <T> Optional<T> vpd(int lun, int page, java.util.function.Function<MemorySegment, T> decode) {
            return locked(() -> {
                MemorySegment task;
                try {
                    task = command("iscsi_inquiry_sync", lun, () -> iscsi_inquiry_sync(context, lun, 1, page, 255));
                } catch (IscsiException e) {
                    if (e.scsiStatus().map(s -> s.senseKey() == 0x05 && !s.logicalUnitNotSupported()).orElse(false)) {
                        return Optional.empty();
                    }
                    throw e;
                }
                try {
                    MemorySegment data = scsi_task.datain(task);
                    if (scsi_data.size(data) < 4) {
                        return Optional.empty();
                    }
                    return Optional.of(decode.apply(unmarshall("iscsi_inquiry_sync", task)));
                } finally {
                    scsi_free_scsi_task(task);
                }
            });
        }

        /**
         * READ(16) of {@code dst.remaining()} bytes (a multiple of {@code blockSize}, at most
         * {@link #MAX_TRANSFER_BYTES}) from {@code lba} into {@code dst}, advancing its position.
         */
        public void read16(int lun, long lba, int blockSize, ByteBuffer dst) {
            int length = transferLength(dst.remaining(), blockSize);
            if (dst.isDirect()) {
                readInto(lun, lba, blockSize, dst, length);
                return;
            }
            locked(() -> {
                MemorySegment task = command("iscsi_read16_sync", lun,
                        () -> iscsi_read16_sync(context, lun, lba, length, blockSize, 0, 0, 0, 0, 0));
                try {
                    MemorySegment data = scsi_task.datain(task);
                    int got = scsi_data.size(data);
                    if (got != length) {
                        throw new IscsiException(library, "iscsi_read16_sync", IscsiException.Kind.OTHER,
                                "the target returned " + got + " bytes instead of " + length, null);
                    }
                    MemorySegment source = scsi_data.data(data).reinterpret(length);
                    MemorySegment.copy(source, 0, MemorySegment.ofBuffer(dst), 0, length);
                    dst.position(dst.position() + length);
                    return null;
                } finally {
                    scsi_free_scsi_task(task);
                }
            });
        }

        /** READ(16) with libiscsi receiving the data straight into {@code dst}'s memory (no copy). */
        private void readInto(int lun, long lba, int blockSize, ByteBuffer dst, int length) {
            locked(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment iov = scsi_iovec.allocate(arena);
                    scsi_iovec.iov_base(iov, MemorySegment.ofBuffer(dst).asSlice(0, length));
                    scsi_iovec.iov_len(iov, length);
                    MemorySegment task = command("iscsi_read16_iov_sync", lun, () -> iscsi_read16_iov_sync(context, lun,
                            lba, length, blockSize, 0, 0, 0, 0, 0, iov, 1));
                    try {
                        // An underrun (the target sent less) shows as a residual.
                        if (scsi_task.residual_status(task) == 1 && scsi_task.residual(task) != 0) {
                            throw new IscsiException(library, "iscsi_read16_iov_sync", IscsiException.Kind.OTHER,
                                    "the target returned " + (length - scsi_task.residual(task)) + " bytes instead of "
                                            + length, null);
                        }
                    } finally {
                        scsi_free_scsi_task(task);
                    }
                    dst.position(dst.position() + length);
                    return null;
                }
            });
        }

        /**
         * WRITE(16) of {@code src.remaining()} bytes (a multiple of {@code blockSize}, at most
         * {@link #MAX_TRANSFER_BYTES}) at {@code lba}, advancing {@code src}'s position.
         */
        public void write16(int lun, long lba, int blockSize, ByteBuffer src) {
            int length = transferLength(src.remaining(), blockSize);
            locked(() -> {
                MemorySegment data = nativeCopy(src, length);
                MemorySegment task = command("iscsi_write16_sync", lun,
                        () -> iscsi_write16_sync(context, lun, lba, data, length, blockSize, 0, 0, 0, 0, 0));
                scsi_free_scsi_task(task);
                src.position(src.position() + length);
                return null;
            });
        }

        /**
         * WRITE SAME(16) of one zero block over {@code blocks} blocks from {@code lba}; with
         * {@code unmap} the target may deallocate them instead.
         */
        public void writeSameZero16(int lun, long lba, int blocks, int blockSize, boolean unmap) {
            locked(() -> {
                MemorySegment zero = transferBuffer(blockSize).asSlice(0, blockSize);
                zero.fill((byte) 0);
                MemorySegment task = command("iscsi_writesame16_sync", lun,
                        () -> iscsi_writesame16_sync(context, lun, lba, zero, blockSize, blocks, 0, unmap ? 1 : 0, 0, 0));
                scsi_free_scsi_task(task);
                return null;
            });
        }

        /** UNMAP of {@code blocks} blocks from {@code lba} (one descriptor). */
        public void unmap(int lun, long lba, int blocks) {
            locked(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment list = unmap_list.allocate(arena);
                    unmap_list.lba(list, lba);
                    unmap_list.num(list, blocks);
                    MemorySegment task = command("iscsi_unmap_sync", lun, () -> iscsi_unmap_sync(context, lun, 0, 0, list, 1));
                    scsi_free_scsi_task(task);
                }
                return null;
            });
        }

        private List<Target> sendTargets() {
            return locked(() -> {
                MemorySegment list = iscsi_discovery_sync(context);
                if (list.equals(MemorySegment.NULL)) {
                    throw failure("iscsi_discovery_sync", null);
                }
                try {
                    List<Target> targets = new ArrayList<>();
                    for (MemorySegment a = list; !a.equals(MemorySegment.NULL);
                         a = iscsi_discovery_address.next(a.reinterpret(iscsi_discovery_address.sizeof()))) {
                        MemorySegment address = a.reinterpret(iscsi_discovery_address.sizeof());
                        List<String> portals = new ArrayList<>();
                        for (MemorySegment p = iscsi_discovery_address.portals(address); !p.equals(MemorySegment.NULL);
                             p = iscsi_target_portal.next(p.reinterpret(iscsi_target_portal.sizeof()))) {
                            portals.add(cString(iscsi_target_portal.portal(p.reinterpret(iscsi_target_portal.sizeof()))));
                        }
                        targets.add(new Target(cString(iscsi_discovery_address.target_name(address)), portals));
                    }
                    return targets;
                } finally {
                    iscsi_free_discovery_data(context, list);
                }
            });
        }

        /** Logs out (bounded by the timeout) and frees the context. Idempotent. */
        @Override
        public void close() {
            lock.lock();
            try {
                if (context == null) {
                    return;
                }
                if (loggedIn) {
                    loggedIn = false;
                    // A dead connection makes logout fail quickly; nothing to report on close.
                    iscsi_logout_sync(context);
                }
                iscsi_destroy_context(context);
                context = null;
                buffers.close();
            } finally {
                lock.unlock();
            }
        }

        // ---- helpers --------------------------------------------------------------------------

        private interface Call<T> {
            T run();
        }

        private <T> T locked(Call<T> call) {
            lock.lock();
            try {
                if (context == null) {
                    throw new IllegalStateException("the iSCSI session to " + options.portal() + " is closed");
                }
                logged.clear();
                return call.run();
            } finally {
                lock.unlock();
            }
        }

        private static int transferLength(int length, int blockSize) {
            if (blockSize <= 0 || length <= 0 || length % blockSize != 0 || length > MAX_TRANSFER_BYTES) {
                throw new IllegalArgumentException("transfer of " + length + " bytes is not a positive multiple of "
                        + blockSize + " up to " + MAX_TRANSFER_BYTES);
            }
            return length;
        }

        /** {@code src}'s bytes in native memory: itself when direct, else the session's transfer buffer. */
        private MemorySegment nativeCopy(ByteBuffer src, int length) {
            if (src.isDirect()) {
                return MemorySegment.ofBuffer(src).asSlice(0, length);
            }
            MemorySegment buffer = transferBuffer(length);
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, buffer, 0, length);
            return buffer;
        }

        private MemorySegment transferBuffer(int length) {
            if (transfer.byteSize() < length) {
                transfer = buffers.allocate(Math.max(length, 64 * 1024), 4096);
            }
            return transfer;
        }

        /**
         * Runs a synchronous SCSI command and returns its task when the status is GOOD; otherwise
         * frees it and throws with the status and sense. A UNIT ATTENTION (reported once after
         * login or a LUN change) is retried once.
         */
        private MemorySegment command(String function, int lun, Call<MemorySegment> call) {
            for (int attempt = 0; ; attempt++) {
                MemorySegment raw = call.run();
                if (raw.equals(MemorySegment.NULL)) {
                    throw failure(function, null);
                }
                MemorySegment task = raw.reinterpret(scsi_task.sizeof());
                int status = scsi_task.status(task);
                if (status == STATUS_GOOD) {
                    return task;
                }
                IscsiException.ScsiStatus scsiStatus = scsiStatus(task);
                scsi_free_scsi_task(task);
                if (scsiStatus.senseKey() == SENSE_UNIT_ATTENTION && attempt == 0) {
                    continue;
                }
                throw failure(function, scsiStatus);
            }
        }

        private MemorySegment unmarshall(String function, MemorySegment task) {
            MemorySegment data = scsi_datain_unmarshall(task);
            if (data.equals(MemorySegment.NULL)) {
                throw new IscsiException(library, function, IscsiException.Kind.OTHER,
                        "cannot decode the reply: " + error(), null);
            }
            return data;
        }

        private IscsiException failure(String function, IscsiException.ScsiStatus status) {
            String message = errorDetail();
            IscsiException.Kind kind;
            if (status == null || status.status() == SCSI_STATUS_ERROR() || status.status() == SCSI_STATUS_CANCELLED()) {
                String lower = message.toLowerCase();
                kind = lower.contains("timed out") || lower.contains("timeout") ? IscsiException.Kind.TIMEOUT
                        : IscsiException.Kind.CONNECTION_LOST;
            } else if (status.status() == SCSI_STATUS_TIMEOUT()) {
                kind = IscsiException.Kind.TIMEOUT;
            } else {
                kind = IscsiException.Kind.SCSI_STATUS;
            }
            return new IscsiException(library, function, kind, message, status);
        }

        private IscsiException.ScsiStatus scsiStatus(MemorySegment task) {
            int status = scsi_task.status(task);
            if (status != SCSI_STATUS_CHECK_CONDITION()) {
                return new IscsiException.ScsiStatus(status, statusName(status), 0, "", 0, 0, "");
            }
            MemorySegment sense = scsi_task.sense(task);
            int key = scsi_sense.key(sense);
            int ascq = scsi_sense.ascq(sense);
            return new IscsiException.ScsiStatus(status, statusName(status), key, cString(scsi_sense_key_str(key)),
                    (ascq >> 8) & 0xff, ascq & 0xff, cString(scsi_sense_ascq_str(ascq)));
        }

        private static String statusName(int status) {
            return switch (status) {
                case 0x00 -> "GOOD";
                case 0x02 -> "CHECK_CONDITION";
                case 0x04 -> "CONDITION_MET";
                case 0x08 -> "BUSY";
                case 0x18 -> "RESERVATION_CONFLICT";
                case 0x28 -> "TASK_SET_FULL";
                case 0x30 -> "ACA_ACTIVE";
                case 0x40 -> "TASK_ABORTED";
                case 0x101 -> "REDIRECT";
                case 0x0f000000 -> "CANCELLED";
                case 0x0f000001 -> "ERROR";
                case 0x0f000002 -> "TIMEOUT";
                default -> "UNKNOWN";
            };
        }

        private void check(String function, int result) {
            if (result != 0) {
                throw new IscsiException(library, function, IscsiException.Kind.OTHER, error(), null);
            }
        }

        private String error() {
            return context == null ? "" : cString(iscsi_get_error(context));
        }
    }

    private static String cString(MemorySegment pointer) {
        if (pointer.equals(MemorySegment.NULL)) {
            return "";
        }
        return pointer.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    /** A fixed-size char array from INQUIRY, NUL-terminated by libiscsi, trailing blanks removed. */
    private static String text(MemorySegment chars) {
        return chars.getString(0, StandardCharsets.US_ASCII).strip();
    }

    @Override
    public String toString() {
        return isAvailable() ? "libiscsi (" + soname + ")" : "libiscsi (unavailable: " + failure + ")";
    }
}
