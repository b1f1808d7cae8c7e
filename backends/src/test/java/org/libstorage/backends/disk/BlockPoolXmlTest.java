package org.libstorage.backends.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.backends.fs.FsBackend;
import org.libstorage.backends.hostdevices.LoopFixture;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.testing.LibvirtSchemas;
import org.libstorage.testing.Requirements;
import org.libstorage.xml.PoolXml;
import org.libstorage.xml.VolumeXml;

/** What disk and fs pools report, written as libvirt XML, validates against libvirt's own schemas. */
class BlockPoolXmlTest {
    @TempDir
    Path dir;

    @Test
    void partitionVolumesAndBothPoolsValidate() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        try (LoopFixture loops = new LoopFixture(dir)) {
            LoopDevice loop = loops.attach("disk.img", 64 * LoopFixture.MIB);
            PoolDriver disks = new DiskBackend().open(PoolDefinition.builder(PoolType.DISK, "disks")
                    .source(PoolSource.builder().device(loop.path()).format("gpt").build())
                    .targetPath(Path.of("/dev")).build(), new BackendContext(dir.resolve("state"), null));
            disks.build(BuildMode.NO_OVERWRITE);
            disks.start();
            disks.createVolume(VolumeDefinition.builder("a", 16 * LoopFixture.MIB).format(new VolumeFormat("linux")).build());
            disks.createVolume(VolumeDefinition.builder("b", 8 * LoopFixture.MIB).format(new VolumeFormat("linux-swap")).build());
            PoolContents contents = disks.refresh();
            for (VolumeDefinition volume : contents.volumes()) {
                LibvirtSchemas.assertValid("storagevol.rng", VolumeXml.write(volume));
            }
            LibvirtSchemas.assertValid("storagepool.rng", PoolXml.write(disks.definition(), Optional.of(contents.info())));

            // The refresh reports the device's free extents, which the active pool's XML shows.
            PoolSource found = contents.source().orElseThrow();
            List<PoolSource.Extent> free = found.devices().getFirst().freeExtents();
            assertFalse(free.isEmpty(), "a 64 MiB disk with 24 MiB of partitions has free space");
            assertEquals(contents.info().available(), free.stream().mapToLong(e -> e.end() - e.start()).sum());
            String active = PoolXml.write(disks.definition().toBuilder().source(found).build(),
                    Optional.of(contents.info()));
            assertTrue(active.contains("<freeExtent start="), active);
            LibvirtSchemas.assertValid("storagepool.rng", active);

            PoolDriver files = new FsBackend().open(PoolDefinition.builder(PoolType.FS, "files")
                    .source(PoolSource.builder().device(loop.partition(1)).format("ext4").build())
                    .targetPath(dir.resolve("mnt")).mountOption("noatime").build(), new BackendContext(dir.resolve("state"), null));
            files.build(BuildMode.NO_OVERWRITE);
            files.start();
            try {
                LibvirtSchemas.assertValid("storagepool.rng", PoolXml.write(files.definition(), Optional.of(files.refresh().info())));
            } finally {
                files.stop();
            }
        }
    }
}
