package org.libstorage.backends.iscsi;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.backends.blockio.WipeEngine;
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
import org.libstorage.nativelib.Iscsi;
import org.libstorage.nativelib.IscsiException;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/**
 * One iscsi-direct pool. Holds no connection between calls: each operation (and each channel)
 * logs in with its own session and logs out when done, so nothing is left open on the target
 * and a channel can outlive the pool lock. Start proves the target is reachable and the
 * credentials work, and marks the pool active with a file in its run-time directory (cleared at
 * boot), so another process sharing the configuration sees it active too.
 */
final class IscsiDirectDriver implements LunsAreFixed {
    private static final System.Logger LOG = System.getLogger(IscsiDirectDriver.class.getName());
    private static final String NAME_PREFIX = "unit:0:0:";

    private final PoolDefinition definition;
    private final IscsiDirectBackend.Endpoint endpoint;
    private final Iscsi iscsi;
    private final SecretStore secrets;
    private final java.time.Duration timeout;
    private final String object;
    private final Path activeMark;
    private final AtomicBoolean active = new AtomicBoolean();

    IscsiDirectDriver(PoolDefinition definition, IscsiDirectBackend.Endpoint endpoint, Iscsi iscsi, SecretStore secrets,
                      java.time.Duration timeout, Path stateDir) {
        this.definition = definition;
        this.activeMark = stateDir == null ? null : stateDir.resolve("active");
        this.endpoint = endpoint;
        this.iscsi = iscsi;
        this.secrets = secrets;
        this.timeout = timeout;
        this.object = "pool '" + definition.name() + "'";
    }

    @Override
    public PoolDefinition definition() {
        return definition;
    }

    @Override
    public void start() {
        try (Iscsi.Session ignored = login(object, "pool-start")) {
            if (activeMark != null) {
                try {
                    Files.createDirectories(activeMark.getParent());
                    Files.writeString(activeMark, endpoint.where() + "\n");
                } catch (IOException e) {
                    throw new StorageException(ErrorCode.IO_ERROR, object, "pool-start",
                            "Cannot mark pool '" + definition.name() + "' active in " + activeMark + ": " + e.getMessage()
                                    + ".", e);
                }
            }
            active.set(true);
        }
    }

    @Override
    public void stop() {
        active.set(false);
        if (activeMark != null) {
            try {
                Files.deleteIfExists(activeMark);
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, object, "pool-stop",
                        "Cannot clear the active mark " + activeMark + " of pool '" + definition.name() + "': "
                                + e.getMessage() + ".", e);
            }
        }
    }

    /** Started here or by another process since boot (nothing stays logged in between calls). */
    @Override
    public boolean isActive() {
        return activeMark == null ? active.get() : Files.exists(activeMark);
    }

    /** REPORT LUNS, then INQUIRY and READ CAPACITY(16) per LUN. */
    @Override
    public PoolContents refresh() {
        String operation = "pool-refresh";
        List<VolumeDefinition> volumes = new ArrayList<>();
        long capacity = 0;
        try (Iscsi.Session session = login(object, operation)) {
            for (int lun : call(session::reportLuns, object, operation, endpoint.where())) {
                String where = "LUN " + lun + " of " + endpoint.where();
                Iscsi.Inquiry inquiry = call(() -> session.inquiry(lun), object, operation, where);
                VolumeDefinition.Builder volume = VolumeDefinition.builder(NAME_PREFIX + lun, capacityOf(session, lun,
                                inquiry, where, operation))
                        .type(VolumeType.NETWORK)
                        .key(key(lun))
                        .path(Path.of(key(lun)));
                VolumeDefinition built = volume.build();
                volume.allocation(built.capacity());
                capacity += built.capacity();
                if (!isDisk(inquiry)) {
                    LOG.log(System.Logger.Level.DEBUG, "{0}: LUN {1} is a {2} ({3} {4}), listed with no capacity",
                            object, lun, inquiry.deviceTypeName(), inquiry.vendor(), inquiry.product());
                }
                volumes.add(volume.build());
            }
        }
        return new PoolContents(new PoolInfo(PoolState.RUNNING, capacity, capacity, 0), volumes);
    }

    private long capacityOf(Iscsi.Session session, int lun, Iscsi.Inquiry inquiry, String where, String operation) {
        if (!isDisk(inquiry)) {
            return 0;
        }
        return call(() -> session.readCapacity16(lun), object, operation, where).bytes();
    }

    private static boolean isDisk(Iscsi.Inquiry inquiry) {
        return inquiry.qualifier() == 0 && (inquiry.deviceType() == 0x00 || inquiry.deviceType() == 0x0e);
    }

    /** libvirt's key (and path) for a LUN: {@code ip-HOST:PORT-iscsi-IQN-lun-N}. */
    String key(int lun) {
        return "ip-" + endpoint.portal() + "-iscsi-" + endpoint.target() + "-lun-" + lun;
    }

    @Override
    public void wipeVolume(VolumeDefinition volume, WipeAlgorithm algorithm, ProgressListener progress) {
        String operation = "vol-wipe";
        Lun lun = lun(volume, operation);
        try (Iscsi.Session session = login(lun.object, operation)) {
            Iscsi.Capacity capacity = diskCapacity(session, lun, operation);
            IoContext context = new IoContext(lun.object, operation);
            WipeEngine.wipe(new LunSink(session, lun.number, capacity, context, lun.where), algorithm,
                    progress == null ? ProgressListener.NONE : progress, context);
        }
    }

    @Override
    public ReadableByteChannel openRead(VolumeDefinition volume, long offset, long length) {
        String operation = "vol-download";
        Lun lun = lun(volume, operation);
        Iscsi.Session session = login(lun.object, operation);
        try {
            Iscsi.Capacity capacity = diskCapacity(session, lun, operation);
            long end = range(capacity, offset, length, lun, operation);
            return new LunReader(session, lun.number, capacity.blockLength(), offset, end, lun.object, lun.where);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    @Override
    public WritableByteChannel openWrite(VolumeDefinition volume, long offset, long length) {
        String operation = "vol-upload";
        Lun lun = lun(volume, operation);
        Iscsi.Session session = login(lun.object, operation);
        try {
            Iscsi.Capacity capacity = diskCapacity(session, lun, operation);
            long end = range(capacity, offset, length, lun, operation);
            return new LunWriter(session, lun.number, capacity.blockLength(), offset, end, lun.object, lun.where);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private long range(Iscsi.Capacity capacity, long offset, long length, Lun lun, String operation) {
        long size = capacity.bytes();
        long end = length < 0 ? size : offset + length;
        if (offset < 0 || offset > size || end > size || end < offset) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, lun.object, operation, "The range [" + offset + ", "
                    + end + ") is not within " + lun.object + " (" + size + " bytes).");
        }
        return end;
    }

    /** The LUN behind a volume this pool reported: its number from the name {@code unit:0:0:N}. */
    private Lun lun(VolumeDefinition volume, String operation) {
        String volumeObject = "volume '" + volume.name() + "' of " + object;
        String name = volume.name();
        if (!name.startsWith(NAME_PREFIX)) {
            throw new StorageException(ErrorCode.NO_SUCH_VOLUME, volumeObject, operation,
                    "Pool '" + definition.name() + "' has no volume '" + name + "'; its volumes are named unit:0:0:LUN.");
        }
        int number;
        try {
            number = Integer.parseInt(name.substring(NAME_PREFIX.length()));
        } catch (NumberFormatException e) {
            number = -1;
        }
        if (number < 0 || number > 0x3fff) {
            throw new StorageException(ErrorCode.NO_SUCH_VOLUME, volumeObject, operation,
                    "Pool '" + definition.name() + "' has no volume '" + name + "'; LUN numbers run from 0 to 16383.");
        }
        return new Lun(number, volumeObject, "LUN " + number + " of " + endpoint.where());
    }

    private record Lun(int number, String object, String where) {
    }

    /** Checks the LUN exists and is a disk, and reads its size. */
    private Iscsi.Capacity diskCapacity(Iscsi.Session session, Lun lun, String operation) {
        Iscsi.Inquiry inquiry = call(() -> session.inquiry(lun.number), lun.object, operation, lun.where);
        if (inquiry.qualifier() != 0) {
            throw new StorageException(ErrorCode.NO_SUCH_VOLUME, lun.object, operation,
                    "The target has no " + lun.where + "; refresh the pool to see its LUNs.");
        }
        if (!isDisk(inquiry)) {
            throw new StorageException(ErrorCode.OPERATION_UNSUPPORTED, lun.object, operation,
                    lun.where + " is a " + inquiry.deviceTypeName() + ", not a disk; only disk LUNs hold volume data.");
        }
        return call(() -> session.readCapacity16(lun.number), lun.object, operation, lun.where);
    }

    /** Logs in to the pool's target, with the CHAP secret from the store when the pool has auth. */
    Iscsi.Session login(String subject, String operation) {
        Optional<Iscsi.Chap> chap = Optional.empty();
        byte[] secret = null;
        if (endpoint.auth().isPresent()) {
            PoolSource.Auth auth = endpoint.auth().get();
            secret = secrets.lookup(auth.secret()).orElseThrow(() -> new StorageException(ErrorCode.INVALID_DEFINITION,
                    object, operation, "The CHAP secret " + describe(auth.secret()) + " of pool '" + definition.name()
                            + "' is not in the secret store."));
            chap = Optional.of(new Iscsi.Chap(auth.username(), secret));
        }
        try {
            return iscsi.login(new Iscsi.SessionOptions(endpoint.portal(), endpoint.initiator(),
                    Optional.of(endpoint.target()), chap, timeout));
        } catch (LibraryUnavailableException e) {
            throw IscsiErrors.unavailable(e, subject, operation);
        } catch (IscsiException e) {
            throw IscsiErrors.map(e, subject, operation, endpoint.where());
        } finally {
            if (secret != null) {
                Arrays.fill(secret, (byte) 0);
            }
        }
    }

    static String describe(PoolSource.SecretRef ref) {
        return ref.usage().map(u -> "with usage '" + u + "'").orElseGet(() -> "with UUID " + ref.uuid().orElseThrow());
    }

    static <T> T call(java.util.function.Supplier<T> call, String object, String operation, String where) {
        try {
            return call.get();
        } catch (IscsiException e) {
            throw IscsiErrors.map(e, object, operation, where);
        }
    }

    @Override
    public String toString() {
        return "IscsiDirectDriver[" + definition.name() + ": " + endpoint.where() + "]";
    }
}
