package org.libstorage.backends.iscsi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.PoolState;
import org.libstorage.ProgressListener;
import org.libstorage.SecretStore;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeType;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.blockio.BlockVolumes;
import org.libstorage.backends.blockio.DeviceGuard;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.backends.hostdevices.IscsiSysfs;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.Iscsiadm;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/**
 * One kernel {@code iscsi} pool, with libvirt's semantics. Start: SendTargets discovery at the
 * portal (the target must be offered), a node record made with {@code iscsiadm -o new}, CHAP
 * set in it (the password written into the record file, never on a command line: see
 * {@link NodeRecords}), login. The pool is active while the kernel has a session to the target
 * at the portal, whoever made it. Refresh: the session's LUNs from sysfs (after a rescan of its
 * SCSI host), each disk LUN a volume named {@code unit:C:T:L} as libvirt names them, keyed by
 * its SCSI identifier as {@code scsi_id} prints it, its path the link under the pool's target
 * directory ({@code /dev/disk/by-path}) when udev made one, else {@code /dev/sdX}. Stop: logout,
 * and the node record deleted (it holds the password). Data moves through the LUN's block
 * device, re-found in sysfs at each operation so a re-login that renamed the disk cannot
 * redirect it.
 */
final class IscsiKernelDriver implements LunsAreFixed {
    private static final System.Logger LOG = System.getLogger(IscsiKernelDriver.class.getName());
    static final Path DEFAULT_TARGET = Path.of("/dev/disk/by-path");
    private static final String NAME_PREFIX = "unit:";

    /** Where the driver finds open-iscsi and the kernel, and how long it waits for devices. */
    record Settings(Path configRoot, Path sysfs, Path dev, Duration deviceWait, OptionalInt replacementTimeout) {
        static Settings host() {
            return new Settings(Path.of("/etc/iscsi"), IscsiSysfs.SYSFS, Path.of("/dev"), Duration.ofSeconds(10),
                    OptionalInt.empty());
        }
    }

    /** The pool's portal, target and identity, checked once when the definition is validated. */
    record Endpoint(String host, int port, String target, Optional<String> initiator, Optional<PoolSource.Auth> auth) {
        String portal() {
            return Iscsiadm.portal(host, port);
        }

        String where() {
            return "target " + target + " at " + portal();
        }

        /** An interface record per initiator IQN (as libvirt makes one), so pools with the same IQN share it. */
        Optional<String> iface() {
            return initiator.map(Endpoint::ifaceName);
        }

        static String ifaceName(String initiator) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(initiator.getBytes(StandardCharsets.UTF_8));
                return "libstorage-" + HexFormat.of().formatHex(digest, 0, 4);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK always has SHA-256", e);
            }
        }
    }

    private final PoolDefinition definition;
    private final Endpoint endpoint;
    private final Iscsiadm iscsiadm;
    private final KernelSessions sessions;
    private final IscsiSysfs sysfs;
    private final NodeRecords records;
    private final SecretStore secrets;
    private final Settings settings;
    private final String object;

    IscsiKernelDriver(PoolDefinition definition, Endpoint endpoint, Iscsiadm iscsiadm, KernelSessions sessions,
                      SecretStore secrets, Settings settings) {
        this.definition = definition;
        this.endpoint = endpoint;
        this.iscsiadm = iscsiadm;
        this.sessions = sessions;
        this.secrets = secrets;
        this.settings = settings;
        this.sysfs = new IscsiSysfs(settings.sysfs());
        this.records = new NodeRecords(settings.configRoot().resolve("nodes"));
        this.object = "pool '" + definition.name() + "'";
    }

    @Override
    public PoolDefinition definition() {
        return definition;
    }

    @Override
    public void start() {
        String operation = "pool-start";
        if (session(operation).isPresent()) {
            return; // logged in already (by another process, or by hand): adopt the session, as libvirt does
        }
        Optional<String> iface = endpoint.iface();
        iface.ifPresent(name -> ensureIface(name, endpoint.initiator().orElseThrow(), operation));
        List<Iscsiadm.Target> offered = iscsiadm(() -> iscsiadm.discover(endpoint.portal(), iface), operation,
                "the iSCSI portal " + endpoint.portal());
        if (offered.stream().noneMatch(t -> t.name().equals(endpoint.target()))) {
            throw new StorageException(ErrorCode.NO_SUCH_DEVICE, object, operation, "The portal " + endpoint.portal()
                    + " offers no target " + endpoint.target() + (offered.isEmpty() ? "; it offers none"
                    : "; it offers " + String.join(", ", offered.stream().map(Iscsiadm.Target::name).distinct().toList()))
                    + " (find-pool-sources lists them).");
        }
        iscsiadm(() -> {
            iscsiadm.newNode(endpoint.target(), endpoint.portal(), iface);
            return null;
        }, operation, endpoint.where());
        try {
            configureRecord(iface, operation);
            iscsiadm(() -> iscsiadm.login(endpoint.target(), endpoint.portal(), iface), operation, endpoint.where());
        } catch (RuntimeException e) {
            // Leave no record behind: it would hold the password, and a later start makes a fresh one.
            try {
                iscsiadm.deleteNode(endpoint.target(), endpoint.portal(), iface);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        session(operation).ifPresent(s -> awaitDisks(s.sid()));
    }

    private void ensureIface(String name, String initiator, String operation) {
        if (!Files.exists(settings.configRoot().resolve("ifaces").resolve(name))) {
            iscsiadm(() -> {
                iscsiadm.newIface(name);
                return null;
            }, operation, "the open-iscsi interface " + name);
        }
        iscsiadm(() -> {
            iscsiadm.updateIface(name, "iface.initiatorname", initiator);
            return null;
        }, operation, "the open-iscsi interface " + name);
    }

    /** CHAP (method and user by iscsiadm, the password straight into the record) and timeouts. */
    private void configureRecord(Optional<String> iface, String operation) {
        settings.replacementTimeout().ifPresent(seconds -> update(iface, "node.session.timeo.replacement_timeout",
                Integer.toString(seconds), operation));
        if (endpoint.auth().isEmpty()) {
            return; // the record keeps iscsid.conf's defaults, as with libvirt
        }
        PoolSource.Auth auth = endpoint.auth().get();
        byte[] secret = secrets.lookup(auth.secret()).orElseThrow(() -> new StorageException(
                ErrorCode.INVALID_DEFINITION, object, operation, "The CHAP secret "
                + IscsiDirectDriver.describe(auth.secret()) + " of pool '" + definition.name()
                + "' is not in the secret store."));
        try {
            Optional<String> unusable = NodeRecords.unusablePassword(secret);
            if (unusable.isPresent()) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, object, operation, "The CHAP secret "
                        + IscsiDirectDriver.describe(auth.secret()) + " cannot be given to open-iscsi: "
                        + unusable.get() + ".");
            }
            update(iface, "node.session.auth.authmethod", "CHAP", operation);
            update(iface, "node.session.auth.username", auth.username(), operation);
            Path record;
            try {
                record = records.find(endpoint.target(), addresses(), endpoint.port(), iface.orElse("default"))
                        .orElseThrow(() -> new IOException("iscsiadm made no record for it under "
                                + settings.configRoot().resolve("nodes")));
                records.setPassword(record, secret);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, object, operation, "Cannot write the CHAP password"
                        + " into the open-iscsi node record of " + endpoint.where() + ": " + e.getMessage() + ".", e);
            }
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private void update(Optional<String> iface, String name, String value, String operation) {
        iscsiadm(() -> {
            iscsiadm.updateNode(endpoint.target(), endpoint.portal(), iface, name, value);
            return null;
        }, operation, endpoint.where());
    }

    @Override
    public void stop() {
        String operation = "pool-stop";
        Optional<KernelSessions.Session> session = session(operation);
        if (session.isPresent()) {
            // Logging out removes the disks under whoever uses them; refuse, as for a mounted fs pool.
            for (IscsiSysfs.Lun lun : sysfs.luns(session.get().sid())) {
                if (lun.block().isPresent()) {
                    Path device = settings.dev().resolve(lun.block().get());
                    DeviceGuard.requireUnused(DeviceGuard.requireBlockDevice(device, object, operation), object,
                            operation);
                }
            }
        }
        Optional<String> iface = endpoint.iface();
        iscsiadm(() -> iscsiadm.logout(endpoint.target(), endpoint.portal(), iface), operation, endpoint.where());
        iscsiadm(() -> iscsiadm.deleteNode(endpoint.target(), endpoint.portal(), iface), operation, endpoint.where());
    }

    /** While the kernel has a session to the target at the portal (even one in recovery). */
    @Override
    public boolean isActive() {
        return session("pool-info").isPresent();
    }

    @Override
    public PoolContents refresh() {
        String operation = "pool-refresh";
        KernelSessions.Session session = loggedIn(operation);
        sysfs.host(session.sid()).ifPresent(host -> {
            try {
                sysfs.rescan(host); // LUNs the target added since login, as iscsiadm -m session -R would
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "{0}: cannot rescan SCSI host {1}: {2}", object, host, e.getMessage());
            }
        });
        List<VolumeDefinition> volumes = new ArrayList<>();
        long capacity = 0;
        for (IscsiSysfs.Lun lun : awaitDisks(session.sid())) {
            Optional<VolumeDefinition> volume = volume(session, lun);
            if (volume.isPresent()) {
                volumes.add(volume.get());
                capacity += volume.get().capacity();
            }
        }
        return new PoolContents(new PoolInfo(PoolState.RUNNING, capacity, capacity, 0), volumes);
    }

    /**
     * The session's LUNs once every disk LUN has its block device, or as they are after
     * {@link Settings#deviceWait()}: the sd driver binds disks asynchronously after a scan.
     */
    private List<IscsiSysfs.Lun> awaitDisks(int sid) {
        long deadline = System.nanoTime() + settings.deviceWait().toNanos();
        while (true) {
            List<IscsiSysfs.Lun> luns = sysfs.luns(sid);
            boolean settled = luns.stream().filter(IscsiSysfs.Lun::isDisk).allMatch(l -> l.block().isPresent());
            if (settled || System.nanoTime() > deadline) {
                return luns;
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.CANCELLED, null, null, "Cancelled while waiting for iSCSI disks.");
        }
    }

    private Optional<VolumeDefinition> volume(KernelSessions.Session session, IscsiSysfs.Lun lun) {
        if (!lun.isDisk() || lun.block().isEmpty()) {
            return Optional.empty();
        }
        String pathId = IscsiSysfs.pathId(session.address(), session.port(), session.target(), lun.lun());
        Path device = settings.dev().resolve(lun.block().get());
        return Optional.of(VolumeDefinition.builder(name(lun), lun.size())
                .type(VolumeType.BLOCK)
                .key(key(lun, pathId))
                .path(stablePath(device, pathId))
                .allocation(lun.size())
                .build());
    }

    /** libvirt's volume name for a LUN: {@code unit:CHANNEL:TARGET:LUN}. */
    static String name(IscsiSysfs.Lun lun) {
        return NAME_PREFIX + lun.channel() + ":" + lun.target() + ":" + lun.lun();
    }

    /**
     * The key libvirt gives a LUN, {@code scsi_id}'s identifier: the VPD page 0x83 designator
     * with its type digit ({@code 3} NAA, {@code 2} EUI-64, {@code 8} SCSI name), read from the
     * kernel's {@code wwid}; the by-path name when the LUN reports none.
     */
    static String key(IscsiSysfs.Lun lun, String pathId) {
        if (lun.wwid().isPresent()) {
            String wwid = lun.wwid().get();
            if (wwid.startsWith("naa.")) {
                return "3" + wwid.substring(4).toLowerCase(java.util.Locale.ROOT);
            }
            if (wwid.startsWith("eui.")) {
                return "2" + wwid.substring(4).toLowerCase(java.util.Locale.ROOT);
            }
            if (wwid.startsWith("iqn.") || wwid.startsWith("t10.")) {
                return (wwid.startsWith("iqn.") ? "8" : "1") + wwid.replaceFirst("^t10\\.", "").strip()
                        .replaceAll("\\s+", "_");
            }
        }
        return pathId;
    }

    /**
     * The volume's path: the pool's target directory's link to the disk (udev's by-path name, or
     * any link there that leads to it), else the disk's node. With udev running, its link may
     * trail the disk by a moment, so it is waited for briefly.
     */
    private Path stablePath(Path device, String pathId) {
        Path dir = definition.targetPath().orElse(DEFAULT_TARGET);
        if (dir.equals(settings.dev())) {
            return device;
        }
        Path link = dir.resolve(pathId);
        boolean udev = Files.exists(Path.of("/run/udev/control"));
        long deadline = System.nanoTime() + (udev ? settings.deviceWait().toNanos() : 0);
        do {
            if (sameFile(link, device)) {
                return link;
            }
            if (udev && System.nanoTime() < deadline) {
                pause();
            }
        } while (udev && System.nanoTime() < deadline);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (Files.isSymbolicLink(entry) && sameFile(entry, device)) {
                    return entry;
                }
            }
        } catch (IOException e) {
            // no such directory (no udev): the node itself
        }
        return device;
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public Optional<VolumeDefinition> describeVolume(VolumeDefinition volume) {
        KernelSessions.Session session = loggedIn("vol-info");
        return current(session, volume);
    }

    /** The volume as sysfs shows it now (its disk may have been renamed by a re-login). */
    private Optional<VolumeDefinition> current(KernelSessions.Session session, VolumeDefinition volume) {
        for (IscsiSysfs.Lun lun : sysfs.luns(session.sid())) {
            if (name(lun).equals(volume.name())) {
                return volume(session, lun);
            }
        }
        return Optional.empty();
    }

    private VolumeDefinition require(VolumeDefinition volume, String operation) {
        KernelSessions.Session session = loggedIn(operation);
        return current(session, volume).orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME,
                volumeObject(volume), operation, "The session to " + endpoint.where() + " has no disk "
                + volume.name() + " any more; refresh the pool to see its LUNs."));
    }

    @Override
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        VolumeDefinition now = require(volume, "vol-download");
        return BlockVolumes.openRead(now, offset, length, new IoContext(volumeObject(volume), "vol-download"));
    }

    @Override
    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        VolumeDefinition now = require(volume, "vol-upload");
        return BlockVolumes.openWrite(now, offset, length, new IoContext(volumeObject(volume), "vol-upload"));
    }

    @Override
    public void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        VolumeDefinition now = require(volume, "vol-wipe");
        BlockVolumes.wipe(now, algorithm, progress == null ? ProgressListener.NONE : progress,
                new IoContext(volumeObject(volume), "vol-wipe"));
    }

    private String volumeObject(VolumeDefinition volume) {
        return "volume '" + volume.name() + "' of " + object;
    }

    /**
     * The session, which must exist and be logged in: I/O on a session in recovery (target gone)
     * would block until the kernel gives up on it ({@code replacement_timeout}, 120 s by default).
     */
    private KernelSessions.Session loggedIn(String operation) {
        KernelSessions.Session session = session(operation).orElseThrow(() -> new StorageException(
                ErrorCode.POOL_NOT_ACTIVE, object, operation, "There is no iSCSI session to " + endpoint.where()
                + " any more (logged out outside libstorage?); start pool '" + definition.name() + "' again."));
        String state = sysfs.sessionState(session.sid()).orElse("LOGGED_IN");
        if (!state.equals("LOGGED_IN")) {
            throw new StorageException(ErrorCode.IO_ERROR, object, operation, "The iSCSI session " + session.sid()
                    + " to " + endpoint.where() + " is " + state + ": the target does not answer; the kernel keeps"
                    + " trying to reconnect until its replacement timeout, and fails I/O after that.");
        }
        return session;
    }

    /** The kernel's session to this pool's target at its portal (through its interface, if it has one). */
    Optional<KernelSessions.Session> session(String operation) {
        List<KernelSessions.Session> all;
        try {
            all = sessions.list();
        } catch (NativeCallException e) {
            throw new StorageException(ErrorCode.NATIVE_FAILURE, object, operation,
                    "Cannot read the kernel's iSCSI sessions: " + e.getMessage() + ".", e);
        } catch (CommandException e) {
            throw IscsiadmErrors.map(e, object, operation, "the kernel's iSCSI sessions");
        }
        List<String> addresses = addresses();
        Optional<String> iface = endpoint.iface();
        return all.stream()
                .filter(s -> s.target().equals(endpoint.target()) && s.port() == endpoint.port()
                        && addresses.contains(s.address()))
                .filter(s -> iface.isEmpty() || s.iface().isEmpty() || s.iface().equals(iface.get()))
                .findFirst();
    }

    /** The portal host as given and the addresses it resolves to (the kernel reports addresses). */
    private List<String> addresses() {
        Set<String> addresses = new LinkedHashSet<>();
        String host = endpoint.host();
        addresses.add(host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host);
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                addresses.add(address.getHostAddress().replaceFirst("%.*$", ""));
            }
        } catch (UnknownHostException | SecurityException e) {
            // iscsiadm will say so when it tries; a session can only match the name as given
        }
        return List.copyOf(addresses);
    }

    private <T> T iscsiadm(java.util.function.Supplier<T> call, String operation, String where) {
        try {
            return call.get();
        } catch (CommandException e) {
            throw IscsiadmErrors.map(e, object, operation, where);
        }
    }

    @Override
    public String toString() {
        return "IscsiKernelDriver[" + definition.name() + ": " + endpoint.where() + "]";
    }
}
