package org.libstorage.backends.rbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.FileSecretStore;
import org.libstorage.Pool;
import org.libstorage.ProgressListener;
import org.libstorage.ResizeOption;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.WipeAlgorithm;
import org.libstorage.nativelib.Rados;
import org.libstorage.nativelib.Rbd;
import org.libstorage.testing.CephCluster;

/** rbd pools end to end through {@link Storage}, against the one-node test cluster ({@link CephCluster}). */
class RbdStorageTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private CephCluster ceph;
    private String cephPool;
    private Storage storage;

    @BeforeEach
    void openStorage() throws Exception {
        ceph = CephCluster.shared();
        cephPool = ceph.createPool();
        storage = openStorage(dir.resolve("host-a"), ceph.adminKey());
    }

    @AfterEach
    void closeStorage() throws Exception {
        if (storage != null) {
            storage.close();
        }
        ceph.ceph("osd", "pool", "rm", cephPool, cephPool, "--yes-i-really-really-mean-it");
    }

    /** A Storage whose secret store holds {@code key} under the usage {@code ceph-admin}. */
    static Storage openStorage(Path config, String key) throws Exception {
        Path secret = Files.createDirectories(config.resolve("secrets")).resolve("ceph-admin");
        Files.writeString(secret, key);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        StorageConfig storageConfig = StorageConfig.ofDirectory(config);
        return Storage.open(storageConfig.withSecrets(FileSecretStore.in(storageConfig)));
    }

    static String poolXml(String name, String cephPool, int port, String extraOptions) {
        return """
                <pool type='rbd'>
                  <name>%s</name>
                  <source>
                    <name>%s</name>
                    <host name='127.0.0.1' port='%d'/>
                    <auth type='ceph' username='admin'>
                      <secret usage='ceph-admin'/>
                    </auth>
                  </source>
                  <rbd:config_opts xmlns:rbd='http://libvirt.org/schemas/storagepool/rbd/1.0'>
                    <rbd:option name='rbd_cache' value='false'/>
                    %s
                  </rbd:config_opts>
                </pool>
                """.formatted(name, cephPool, port, extraOptions);
    }

    private Pool definePool(String extraOptions) {
        return storage.definePoolXml(poolXml("ceph", cephPool, ceph.port(), extraOptions));
    }

    private static byte[] pattern(int length, long seed) {
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static void upload(Volume volume, long offset, byte[] data) throws Exception {
        try (WritableByteChannel out = volume.upload(offset, data.length)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }

    private static byte[] download(Volume volume, long offset, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(length);
        try (ReadableByteChannel in = volume.download(offset, length)) {
            while (b.hasRemaining() && in.read(b) >= 0) {
                // keep reading
            }
        }
        return b.array();
    }

    /** The {@code pool/image@snapshot} that {@code rbd info} names as an image's parent. */
    private String parentOf(String image) throws Exception {
        return ceph.rbd("info", cephPool + "/" + image).lines().map(String::strip)
                .filter(line -> line.startsWith("parent: ")).map(line -> line.substring("parent: ".length()))
                .findFirst().orElseThrow(() -> new AssertionError(image + " has no parent"));
    }

    @Test
    void volumesLiveThroughTheirWholeLifeInACephPool() throws Exception {
        Pool pool = definePool("");
        pool.start();
        assertTrue(pool.isActive());
        assertEquals(List.of(), pool.volumes());

        Volume disk = pool.createVolume(VolumeDefinition.builder("disk", 64 * MIB).build());
        assertEquals(cephPool + "/disk", disk.key());
        assertEquals(Path.of("rbd:" + cephPool + "/disk"), disk.path());
        assertEquals(64 * MIB, disk.info().capacity());
        assertEquals(0, disk.info().allocation(), "a new image is sparse");
        assertTrue(ceph.rbd("ls", cephPool).lines().toList().contains("disk"), "the rbd command sees it");

        byte[] data = pattern((int) (3 * MIB), 1);
        upload(disk, 8 * MIB, data);
        assertArrayEquals(data, download(disk, 8 * MIB, data.length));
        long allocated = disk.info().allocation();
        assertTrue(allocated >= 3 * MIB && allocated <= 16 * MIB, "whole objects touched: " + allocated);

        // A clone is instant and shares the data; later writes to the origin do not show in it.
        Volume clone = pool.createVolumeFrom(VolumeDefinition.builder("clone", 64 * MIB).build(), disk,
                ProgressListener.NONE);
        assertEquals(0, clone.info().allocation(), "a clone owns nothing until written");
        // Clones of an origin that did not change share one snapshot of it.
        Volume twin = pool.createVolumeFrom(VolumeDefinition.builder("twin", 64 * MIB).build(), disk,
                ProgressListener.NONE);
        String shared = parentOf("clone");
        assertTrue(shared.startsWith(cephPool + "/disk@libstorage-clone-"), shared);
        assertEquals(shared, parentOf("twin"));
        upload(disk, 8 * MIB, new byte[4096]);
        assertArrayEquals(data, download(clone, 8 * MIB, data.length));
        assertArrayEquals(data, download(twin, 8 * MIB, data.length));
        // Once the origin changed, the next clone gets a snapshot of its own, with the new data.
        Volume later = pool.createVolumeFrom(VolumeDefinition.builder("later", 64 * MIB).build(), disk,
                ProgressListener.NONE);
        assertNotEquals(shared, parentOf("later"));
        assertArrayEquals(new byte[4096], download(later, 8 * MIB, 4096));
        twin.delete();
        later.delete();

        // A snapshot is a volume of its own holding the data of that moment.
        Volume snap = disk.snapshot("disk-snap");
        upload(disk, 8 * MIB, data);
        assertArrayEquals(new byte[4096], download(snap, 8 * MIB, 4096));

        // The origin cannot go while clones depend on it.
        StorageException busy = assertThrows(StorageException.class, disk::delete);
        assertEquals(ErrorCode.VOLUME_BUSY, busy.code(), busy.getMessage());

        disk.resize(128 * MIB);
        assertEquals(128 * MIB, disk.info().capacity());
        StorageException noShrink = assertThrows(StorageException.class, () -> disk.resize(32 * MIB));
        assertEquals(ErrorCode.INVALID_ARGUMENT, noShrink.code(), noShrink.getMessage());
        disk.resize(32 * MIB, ResizeOption.ALLOW_SHRINK);
        assertEquals(32 * MIB, disk.info().capacity());

        disk.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE);
        assertArrayEquals(new byte[data.length], download(disk, 8 * MIB, data.length));
        upload(disk, 0, data);
        disk.wipe(WipeAlgorithm.TRIM, ProgressListener.NONE);
        assertArrayEquals(new byte[data.length], download(disk, 0, data.length));

        clone.delete();
        snap.delete();
        disk.delete();
        pool.refresh();
        assertEquals(List.of(), pool.volumes());
        assertEquals("", ceph.rbd("ls", cephPool).strip());
        pool.stop();
        assertFalse(pool.isActive());
    }

    @Test
    void librbdErrorsArriveAsErrorCodes() throws Exception {
        Pool pool = definePool("");
        pool.start();
        ceph.rbd("create", "--size", "1M", cephPool + "/taken");
        StorageException exists = assertThrows(StorageException.class,
                () -> pool.createVolume(VolumeDefinition.builder("taken", MIB).build()));
        assertEquals(ErrorCode.VOLUME_EXISTS, exists.code(), exists.getMessage());
        assertTrue(exists.getMessage().contains("rbd_create4"), exists.getMessage());

        pool.refresh();
        Volume taken = pool.requireVolume("taken");
        ceph.rbd("rm", cephPool + "/taken");
        StorageException gone = assertThrows(StorageException.class, () -> taken.resize(2 * MIB));
        assertEquals(ErrorCode.NO_SUCH_VOLUME, gone.code(), gone.getMessage());
    }

    @Test
    void anImageAnotherClientHasOpenIsBusy() throws Exception {
        Pool pool = definePool("");
        pool.start();
        Volume disk = pool.createVolume(VolumeDefinition.builder("in-use", 4 * MIB).build());
        // Another client (standing for a running guest) opens the image read-write: it watches it.
        Rados.Config config = new Rados.Config(List.of("127.0.0.1:" + ceph.port()), "admin",
                Optional.of(ceph.adminKey().getBytes(StandardCharsets.US_ASCII)), java.util.Map.of(),
                java.time.Duration.ofSeconds(20));
        try (Rados.Cluster other = Rados.instance().connect(config);
             Rados.IoContext io = other.open(cephPool, Optional.empty());
             Rbd.Image image = Rbd.instance().open(io, "in-use", false)) {
            StorageException busy = assertThrows(StorageException.class, disk::delete);
            assertEquals(ErrorCode.VOLUME_BUSY, busy.code(), busy.getMessage());
            assertTrue(busy.getMessage().contains("client." + other.instanceId()), busy.getMessage());
            StorageException wipe = assertThrows(StorageException.class,
                    () -> disk.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE));
            assertEquals(ErrorCode.VOLUME_BUSY, wipe.code(), wipe.getMessage());
            assertEquals(4 * MIB, image.stat().size());
        }
        disk.delete();
    }

    @Test
    void copiesGoBetweenADirPoolAndACephPool() throws Exception {
        Path target = Files.createDirectories(dir.resolve("files"));
        Pool files = storage.definePoolXml("""
                <pool type='dir'><name>files</name><target><path>%s</path></target></pool>
                """.formatted(target));
        files.start();
        Volume image = files.createVolume(VolumeDefinition.builder("image.raw", 6 * MIB).build());
        byte[] data = pattern((int) MIB, 7);
        upload(image, 2 * MIB, data);

        Pool pool = definePool("");
        pool.start();
        long[] last = {0};
        Volume copy = pool.createVolumeFrom(VolumeDefinition.builder("from-file", 6 * MIB).build(), image,
                (done, total) -> last[0] = done);
        assertEquals(6 * MIB, last[0]);
        assertArrayEquals(data, download(copy, 2 * MIB, data.length));
        assertTrue(copy.info().allocation() < 6 * MIB, "zero ranges were not written: " + copy.info().allocation());

        Volume back = files.createVolumeFrom(VolumeDefinition.builder("back.raw", 6 * MIB).build(), copy,
                ProgressListener.NONE);
        assertArrayEquals(data, download(back, 2 * MIB, data.length));
        assertArrayEquals(new byte[(int) MIB], download(back, 0, (int) MIB));
        copy.delete();
    }

    @Test
    void aWrongKeyIsPermissionDenied() throws Exception {
        storage.close();
        // A well-formed cephx key that is not client.admin's.
        storage = openStorage(dir.resolve("host-wrong"), "AQBQ6lRlAAAAABAAoJXJQy7pQ1Ku4wFAkhr6Vg==");
        Pool pool = definePool("<rbd:option name='client_mount_timeout' value='10'/>");
        StorageException denied = assertThrows(StorageException.class, pool::start);
        assertEquals(ErrorCode.PERMISSION_DENIED, denied.code(), denied.getMessage());
        assertFalse(pool.isActive());
    }

    @Test
    void aDeadMonitorIsABoundedTimeout() throws Exception {
        int deadPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        Pool pool = storage.definePoolXml(poolXml("nowhere", cephPool, deadPort,
                "<rbd:option name='client_mount_timeout' value='3'/>"));
        long t0 = System.nanoTime();
        StorageException timeout = assertThrows(StorageException.class, pool::start);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertEquals(ErrorCode.TIMEOUT, timeout.code(), timeout.getMessage());
        assertTrue(timeout.getMessage().contains("127.0.0.1:" + deadPort), timeout.getMessage());
        assertTrue(seconds < 60, "bounded by client_mount_timeout, took " + seconds + " s");
    }

    @Test
    void aFrozenOsdFailsTheWriteAndNothingUnwrittenIsReported() throws Exception {
        Pool pool = definePool("<rbd:option name='rados_osd_op_timeout' value='4'/>");
        pool.start();
        Volume disk = pool.createVolume(VolumeDefinition.builder("frozen", 32 * MIB).build());
        byte[] data = pattern((int) (16 * MIB), 3);
        long reported = 0;
        StorageException failure = null;
        try (WritableByteChannel out = disk.upload(0, data.length)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            b.limit((int) (4 * MIB));
            reported += out.write(b);
            ceph.pauseOsd();
            try {
                b.limit(data.length);
                while (b.hasRemaining()) {
                    reported += out.write(b);
                }
            } catch (StorageException e) {
                failure = e;
            } finally {
                ceph.resumeOsd();
            }
        }
        assertTrue(failure != null, "the write to a frozen OSD failed");
        assertEquals(ErrorCode.IO_ERROR, failure.code(), failure.getMessage());
        assertEquals(4 * MIB, reported, "only what the OSD acknowledged before it froze is reported");
        byte[] head = java.util.Arrays.copyOf(data, (int) reported);
        assertArrayEquals(head, download(disk, 0, (int) reported));
    }

    @Test
    void twoHostsSeeEachOthersImages() throws Exception {
        Pool pool = definePool("");
        pool.start();
        pool.createVolume(VolumeDefinition.builder("from-a", MIB).build());
        Path xml = dir.resolve("pool.xml");
        Files.writeString(xml, poolXml("ceph", cephPool, ceph.port(), ""));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process b = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), RbdOtherHost.class.getName(), dir.resolve("host-b").toString(),
                ceph.adminKey(), xml.toString(), "from-b")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> seenByB;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8))) {
            seenByB = r.lines().toList();
        }
        assertTrue(b.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, b.exitValue());
        assertEquals(List.of("from-a"), seenByB, "host b lists host a's image before creating its own");
        pool.refresh();
        assertEquals(List.of("from-a", "from-b"), pool.volumes().stream().map(Volume::name).sorted().toList());
        assertEquals(MIB, pool.requireVolume("from-b").info().capacity());
    }
}
