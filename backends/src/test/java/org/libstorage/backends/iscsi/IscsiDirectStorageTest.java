package org.libstorage.backends.iscsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BackendStatus;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.FileSecretStore;
import org.libstorage.Pool;
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
import org.libstorage.testing.Tgtd;

/** iscsi-direct end to end through {@link Storage}: libvirt XML in, CHAP from the file secret store, copies with a dir pool. */
class IscsiDirectStorageTest {
    private static final String PASSWORD = "End-To-End-Chap-77";
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void aChapProtectedTargetThroughStorage() throws Exception {
        try (Tgtd tgtd = Tgtd.start(dir)) {
            Path backing = Tgtd.backing(dir, "lun.img", 4 * MIB);
            String iqn = tgtd.target(1, "e2e", backing);
            tgtd.chap(1, "alice", PASSWORD);
            Path config = dir.resolve("config");
            Path secret = Files.createDirectories(config.resolve("secrets")).resolve("e2e-chap");
            Files.writeString(secret, PASSWORD);
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            StorageConfig storageConfig = StorageConfig.ofDirectory(config);
            storageConfig = storageConfig.withSecrets(FileSecretStore.in(storageConfig));

            Storage storage = Storage.open(storageConfig);
            try {
                String xml = """
                        <pool type='iscsi-direct'>
                          <name>san</name>
                          <source>
                            <host name='127.0.0.1' port='%d'/>
                            <device path='%s'/>
                            <auth type='chap' username='alice'>
                              <secret usage='e2e-chap'/>
                            </auth>
                            <initiator>
                              <iqn name='iqn.2026-01.org.libstorage.test:e2e-initiator'/>
                            </initiator>
                          </source>
                        </pool>
                        """.formatted(tgtd.port(), iqn);
                Pool san = storage.definePoolXml(xml);
                san.start();
                assertTrue(san.isActive());
                assertEquals(List.of("unit:0:0:0", "unit:0:0:1"), san.volumes().stream().map(Volume::name).toList());
                Volume lun = san.requireVolume("unit:0:0:1");
                assertEquals(4 * MIB, lun.info().capacity());
                String key = "ip-127.0.0.1:" + tgtd.port() + "-iscsi-" + iqn + "-lun-1";
                assertEquals(key, lun.key());
                assertEquals(Optional.of("unit:0:0:1"), storage.volumeByKey(key).map(Volume::name));

                String dumped = san.toXml();
                assertTrue(dumped.contains("e2e-chap"), dumped);
                assertFalse(dumped.contains(PASSWORD), dumped);
                assertFalse(lun.toXml().contains(PASSWORD));

                Pool images = storage.definePool(org.libstorage.PoolDefinition.builder(PoolType.DIR, "images")
                        .targetPath(dir.resolve("images")).build());
                images.build(BuildMode.NO_OVERWRITE);
                images.start();
                byte[] data = IscsiDirectPoolTest.random((int) (4 * MIB), 9);
                Volume image = images.createVolume(VolumeDefinition.builder("golden.img", data.length)
                        .format(VolumeFormat.RAW).build());
                try (WritableByteChannel out = image.upload(0, -1)) {
                    IscsiDirectPoolTest.writeAll(out, data);
                }

                // The dir image onto the LUN (LUNs exist already: copying onto one is an upload) ...
                try (ReadableByteChannel in = image.download(0, -1); WritableByteChannel out = lun.upload(0, -1)) {
                    ByteBuffer buffer = ByteBuffer.allocate(128 * 1024);
                    while (in.read(buffer) >= 0) {
                        buffer.flip();
                        while (buffer.hasRemaining()) {
                            out.write(buffer);
                        }
                        buffer.clear();
                    }
                }
                assertArrayEquals(data, Files.readAllBytes(backing));
                // ... and back into a new dir volume, bit for bit.
                Volume back = images.createVolumeFrom(VolumeDefinition.builder("from-lun.img", lun.info().capacity())
                        .format(VolumeFormat.RAW).build(), lun, ProgressListener.NONE);
                assertArrayEquals(data, Files.readAllBytes(back.path()));

                StorageException e = assertThrows(StorageException.class,
                        () -> san.createVolumeFrom(VolumeDefinition.builder("new", MIB).build(), image, ProgressListener.NONE));
                assertEquals(ErrorCode.OPERATION_UNSUPPORTED, e.code(), e::getMessage);

                lun.wipe(WipeAlgorithm.ZERO, ProgressListener.NONE);
                assertArrayEquals(new byte[data.length], Files.readAllBytes(backing));

                List<PoolSource> sources = storage.findPoolSources(PoolType.ISCSI_DIRECT, Optional.of(PoolSource.builder()
                        .host(new PoolSource.Host("127.0.0.1", OptionalInt.of(tgtd.port()))).build()));
                assertEquals(List.of(Path.of(iqn)), sources.stream().map(s -> s.devices().getFirst().path()).toList());

                san.stop();
                assertFalse(san.isActive());
            } finally {
                storage.close();
            }
        }
    }

    @Test
    void kernelIscsiPoolsRoundTripAndSayWhyTheyCannotStartWhereTheKernelHasNoInitiator() {
        Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("config")));
        try {
            String xml = """
                    <pool type='iscsi'>
                      <name>kernel-san</name>
                      <source>
                        <host name='iscsi.example.com' port='3260'/>
                        <device path='iqn.2013-06.com.example:iscsi-pool'/>
                        <auth type='chap' username='admin'>
                          <secret usage='libvirtiscsi'/>
                        </auth>
                      </source>
                      <target>
                        <path>/dev/disk/by-path</path>
                      </target>
                    </pool>
                    """;
            Pool first = storage.definePoolXml(xml);
            PoolSource source = first.definition().source();
            String dumped = first.toXml();
            // One target is one pool (a second on it is refused), so the dump is defined in its place.
            first.undefine();
            Pool pool = storage.definePoolXml(dumped);
            assertEquals(source, pool.definition().source());
            BackendStatus kernel = storage.backends().stream().filter(b -> b.type() == PoolType.ISCSI)
                    .findFirst().orElseThrow();
            if (!kernel.available()) {
                // This host's kernel has no initiator (the lab's IscsiKernelPoolTest runs one).
                StorageException e = assertThrows(StorageException.class, pool::start);
                assertEquals(ErrorCode.BACKEND_UNAVAILABLE, e.code(), e::getMessage);
                assertTrue(e.getMessage().contains("iscsi-direct"), e.getMessage());
                assertFalse(pool.isActive());
            }
        } finally {
            storage.close();
        }
    }
}
