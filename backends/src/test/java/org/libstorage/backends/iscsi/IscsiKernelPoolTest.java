package org.libstorage.backends.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BackendStatus;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.FileSecretStore;
import org.libstorage.HostDevice;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;
import org.libstorage.lower.CommandException;
import org.libstorage.nativelib.OpenIscsiUsr;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.Requirements;
import org.libstorage.testing.RequiresKernel;
import org.libstorage.testing.Tgtd;

/**
 * The kernel {@code iscsi} pool against tgtd on 127.0.0.1, through {@link Storage}: libvirt XML
 * in, CHAP from the file secret store, discovery and login by iscsiadm, the LUNs as block
 * devices, data in and out of them, and the faults iscsi-direct is tested with (refused port,
 * wrong IQN, wrong CHAP, target killed). Needs the kernel initiator and a running iscsid: the
 * kernel lab has both.
 */
@RequiresKernel(KernelFeature.ISCSI_INITIATOR)
class IscsiKernelPoolTest {
    private static final long MIB = 1 << 20;
    private static final String PASSWORD = "Kernel-Chap-Secret-42";

    @TempDir
    Path dir;
    Tgtd tgtd;
    Storage storage;

    @BeforeEach
    void target() throws Exception {
        Requirements.requireCommand("iscsiadm", "open-iscsi");
        Requirements.require(iscsidRunning(), "a running iscsid (the kernel lab starts one)");
        tgtd = Tgtd.start(dir);
        Path config = dir.resolve("config");
        Path secret = Files.createDirectories(config.resolve("secrets")).resolve("kernel-chap");
        Files.writeString(secret, PASSWORD);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        StorageConfig storageConfig = StorageConfig.ofDirectory(config);
        storage = Storage.open(storageConfig.withSecrets(FileSecretStore.in(storageConfig)));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (storage != null) {
                for (Pool pool : storage.pools()) {
                    if (pool.isActive()) {
                        pool.stop();
                    }
                }
                storage.close();
            }
        } finally {
            if (tgtd != null) {
                tgtd.close();
            }
        }
    }

    static boolean iscsidRunning() throws IOException {
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            return processes.filter(p -> p.getFileName().toString().matches("\\d+")).anyMatch(p -> {
                try {
                    return Files.readString(p.resolve("comm")).strip().equals("iscsid");
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    private Pool define(String name, int port, String iqn, boolean chap) {
        return storage.definePoolXml("""
                <pool type='iscsi'>
                  <name>%s</name>
                  <source>
                    <host name='127.0.0.1' port='%d'/>
                    <device path='%s'/>%s
                  </source>
                  <target><path>/dev/disk/by-path</path></target>
                </pool>
                """.formatted(name, port, iqn, chap ? """

                    <auth type='chap' username='alice'>
                      <secret usage='kernel-chap'/>
                    </auth>""" : ""));
    }

    private static StorageException fails(ErrorCode code, Runnable action) {
        StorageException e = assertThrows(StorageException.class, action::run);
        assertEquals(code, e.code(), e::getMessage);
        return e;
    }

    private static boolean loggedIn(String iqn) {
        return OpenIscsiUsr.instance().sessions().stream().anyMatch(s -> s.target().equals(iqn));
    }

    @Test
    void aChapProtectedTargetsLunsAreBlockDevicesWithTheirDataThroughStorage() throws Exception {
        Path first = Tgtd.backing(dir, "lun1.img", 8 * MIB);
        Path second = Tgtd.backing(dir, "lun2.img", 4 * MIB);
        String iqn = tgtd.target(1, "kernel-e2e", first, second);
        tgtd.chap(1, "alice", PASSWORD);

        BackendStatus status = storage.backends().stream().filter(b -> b.type() == PoolType.ISCSI).findFirst()
                .orElseThrow();
        assertTrue(status.available(), status::toString);

        List<PoolSource> sources = storage.findPoolSources(PoolType.ISCSI, Optional.of(PoolSource.builder()
                .host(new PoolSource.Host("127.0.0.1", OptionalInt.of(tgtd.port()))).build()));
        assertEquals(List.of(Path.of(iqn)), sources.stream().map(s -> s.devices().getFirst().path()).toList());

        Pool san = define("kernel-san", tgtd.port(), iqn, true);
        san.start();
        assertTrue(san.isActive());
        assertTrue(loggedIn(iqn), "libopeniscsiusr sees the session");
        assertEquals(List.of("unit:0:0:1", "unit:0:0:2"), san.volumes().stream().map(Volume::name).toList(),
                "disk LUNs only: LUN 0 is tgtd's controller");
        Volume lun = san.requireVolume("unit:0:0:1");
        assertEquals(8 * MIB, lun.info().capacity());
        assertEquals(12 * MIB, san.info().capacity());
        assertTrue(lun.key().matches("3[0-9a-f]{32}"), "scsi_id's NAA identifier: " + lun.key());
        String byPath = "ip-127.0.0.1:" + tgtd.port() + "-iscsi-" + iqn + "-lun-1";
        Path device = lun.path();
        HostDevice disk = org.libstorage.backends.hostdevices.HostDevices.of(device).orElseThrow();
        assertEquals(HostDevice.Kind.DISK, disk.kind());
        if (Files.exists(Path.of("/run/udev/control"))) {
            assertEquals(Path.of("/dev/disk/by-path", byPath), device, "udev's link, as libvirt lists it");
        } else {
            assertTrue(device.toString().matches("/dev/sd[a-z]+"), device::toString);
        }
        assertEquals(Optional.of(byPath), disk.transport().map(HostDevice.Transport::pathId));
        assertEquals(Optional.of("iscsi"), disk.transport().map(HostDevice.Transport::type));
        assertEquals(Optional.of("unit:0:0:1"), storage.volumeByKey(lun.key()).map(Volume::name));
        assertFalse(san.toXml().contains(PASSWORD));

        byte[] data = IscsiDirectPoolTest.random((int) (8 * MIB), 21);
        try (WritableByteChannel out = lun.upload(0, -1)) {
            IscsiDirectPoolTest.writeAll(out, data);
        }
        assertArrayEquals(data, Files.readAllBytes(first), "the upload reached the target's backing file");
        try (ReadableByteChannel in = lun.download(0, -1)) {
            assertArrayEquals(data, IscsiDirectPoolTest.readAll(in, data.length));
        }

        // To and from a dir pool, bit for bit.
        Pool images = storage.definePool(PoolDefinition.builder(PoolType.DIR, "images")
                .targetPath(dir.resolve("images")).build());
        images.build(BuildMode.NO_OVERWRITE);
        images.start();
        Volume copy = images.createVolumeFrom(VolumeDefinition.builder("from-lun.img", 8 * MIB)
                .format(VolumeFormat.RAW).build(), lun, ProgressListener.NONE);
        assertArrayEquals(data, Files.readAllBytes(copy.path()));

        lun.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE);
        assertArrayEquals(new byte[data.length], Files.readAllBytes(first));

        assertEquals(ErrorCode.OPERATION_UNSUPPORTED, fails(ErrorCode.OPERATION_UNSUPPORTED,
                () -> san.createVolume(VolumeDefinition.builder("new", MIB).build())).code());

        // A LUN the target adds while the pool runs appears at the next refresh, as with libvirt.
        tgtd.lun(1, 3, Tgtd.backing(dir, "lun3.img", 2 * MIB));
        san.refresh();
        assertEquals(List.of("unit:0:0:1", "unit:0:0:2", "unit:0:0:3"), san.volumes().stream().map(Volume::name).toList());

        san.stop();
        assertFalse(san.isActive());
        assertFalse(loggedIn(iqn), "logged out");
        assertFalse(Files.exists(NodeRecords.NODES.resolve(iqn).resolve("127.0.0.1," + tgtd.port())),
                "the node record, which held the password, is gone");
    }

    @Test
    void aRefusedPortIsAnIoErrorKeepingIscsiadmsStatus() throws Exception {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        Pool pool = define("refused", closed, Tgtd.IQN_PREFIX + "nobody", false);
        StorageException e = fails(ErrorCode.IO_ERROR, pool::start);
        assertTrue(e.getMessage().contains("127.0.0.1:" + closed), e.getMessage());
        CommandException cause = assertInstanceOf(CommandException.class, e.getCause());
        assertTrue(cause.exitStatus().isPresent());
        assertTrue(cause.stderr().contains("Connection refused"), cause.stderr());
        assertFalse(pool.isActive());
    }

    @Test
    void aWrongIqnIsNoSuchDeviceNamingWhatThePortalOffers() throws Exception {
        String iqn = tgtd.target(1, "offered", Tgtd.backing(dir, "lun.img", MIB));
        Pool pool = define("wrong-iqn", tgtd.port(), Tgtd.IQN_PREFIX + "not-there", false);
        StorageException e = fails(ErrorCode.NO_SUCH_DEVICE, pool::start);
        assertTrue(e.getMessage().contains(iqn), e.getMessage());
        assertFalse(pool.isActive());
    }

    @Test
    void aWrongChapSecretIsPermissionDeniedAndLeavesNoRecord() throws Exception {
        String iqn = tgtd.target(1, "guarded", Tgtd.backing(dir, "lun.img", MIB));
        tgtd.chap(1, "alice", "Another-Password-99");
        Pool pool = define("wrong-chap", tgtd.port(), iqn, true);
        StorageException e = fails(ErrorCode.PERMISSION_DENIED, pool::start);
        CommandException cause = assertInstanceOf(CommandException.class, e.getCause());
        assertEquals(OptionalInt.of(24), cause.exitStatus(), cause::getMessage);
        assertFalse(cause.getMessage().contains(PASSWORD));
        assertFalse(pool.isActive());
        assertFalse(loggedIn(iqn));
        assertFalse(Files.exists(NodeRecords.NODES.resolve(iqn).resolve("127.0.0.1," + tgtd.port())));
    }

    @Test
    void aKilledTargetFailsRefreshAndIoAtOnceAndTheSessionCanStillBeStopped() throws Exception {
        String iqn = tgtd.target(1, "doomed", Tgtd.backing(dir, "lun.img", 4 * MIB));
        Pool pool = define("doomed", tgtd.port(), iqn, false);
        pool.start();
        Volume lun = pool.requireVolume("unit:0:0:1");
        tgtd.kill();
        // The kernel marks the session FAILED when it sees the connection close; wait for that.
        org.libstorage.backends.hostdevices.IscsiSysfs sysfs =
                new org.libstorage.backends.hostdevices.IscsiSysfs(org.libstorage.backends.hostdevices.IscsiSysfs.SYSFS);
        int sid = OpenIscsiUsr.instance().sessions().stream().filter(s -> s.target().equals(iqn)).findFirst()
                .orElseThrow().sid();
        for (int i = 0; i < 600 && sysfs.sessionState(sid).orElse("").equals("LOGGED_IN"); i++) {
            Thread.sleep(50);
        }
        StorageException e = fails(ErrorCode.IO_ERROR, pool::refresh);
        assertTrue(e.getMessage().contains("target does not answer"), e.getMessage());
        fails(ErrorCode.IO_ERROR, () -> lun.download(0, -1));
        pool.stop();
        assertFalse(pool.isActive());
        assertFalse(loggedIn(iqn));
    }
}
