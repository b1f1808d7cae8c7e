package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.libstorage.backends.dir.Pools.MIB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.VolumeDefinition.BackingStore;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.testing.LibvirtSchemas;
import org.libstorage.testing.Requirements;
import org.libstorage.xml.PoolXml;
import org.libstorage.xml.VolumeXml;

/** What a dir pool reports, written as libvirt XML, validates against libvirt's own schemas. */
class DirXmlTest {
    @TempDir
    Path temp;

    @Test
    void everyKindOfVolumeAndThePoolValidate() throws Exception {
        Machine.requireQemuImg();
        Path target = temp.resolve("images");
        PoolDriver pool = Pools.started("images", target);
        pool.createVolume(Pools.raw("base.img", 64 * MIB));
        pool.createVolume(VolumeDefinition.builder("overlay.qcow2", 0).format(VolumeFormat.QCOW2)
                .backingStore(new BackingStore(target.resolve("base.img"), Optional.of(VolumeFormat.RAW), Optional.empty())).build());
        Files.createDirectory(target.resolve("subdir"));

        PoolContents contents = pool.refresh();

        assertEquals(3, contents.volumes().size());
        for (VolumeDefinition volume : contents.volumes()) {
            LibvirtSchemas.assertValid("storagevol.rng", VolumeXml.write(volume));
        }
        LibvirtSchemas.assertValid("storagepool.rng", PoolXml.write(pool.definition(), Optional.of(contents.info())));
    }
}
