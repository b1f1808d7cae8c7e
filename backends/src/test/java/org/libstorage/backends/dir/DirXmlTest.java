package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.libstorage.backends.dir.Pools.MIB;

import com.thaiopensource.util.PropertyMapBuilder;
import com.thaiopensource.validate.ValidateProperty;
import com.thaiopensource.validate.ValidationDriver;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.VolumeDefinition.BackingStore;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;
import org.libstorage.testing.Requirements;
import org.libstorage.xml.PoolXml;
import org.libstorage.xml.VolumeXml;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXParseException;

/** What a dir pool reports, written as libvirt XML, validates against libvirt's own schemas. */
class DirXmlTest {
    private static final Path SCHEMAS = Path.of("/usr/share/libvirt/schemas");

    @TempDir
    Path temp;

    @Test
    void everyKindOfVolumeAndThePoolValidate() throws Exception {
        Requirements.require(Files.isReadable(SCHEMAS.resolve("storagevol.rng")), "libvirt's schemas (Debian libvirt0)");
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
            assertValid("storagevol.rng", VolumeXml.write(volume));
        }
        assertValid("storagepool.rng", PoolXml.write(pool.definition(), Optional.of(contents.info())));
    }

    private static void assertValid(String schema, String xml) throws Exception {
        List<String> errors = new ArrayList<>();
        ErrorHandler collect = new ErrorHandler() {
            @Override
            public void warning(SAXParseException e) {
            }

            @Override
            public void error(SAXParseException e) {
                errors.add(e.getMessage());
            }

            @Override
            public void fatalError(SAXParseException e) {
                errors.add(e.getMessage());
            }
        };
        PropertyMapBuilder properties = new PropertyMapBuilder();
        properties.put(ValidateProperty.ERROR_HANDLER, collect);
        ValidationDriver driver = new ValidationDriver(properties.toPropertyMap());
        driver.loadSchema(ValidationDriver.fileInputSource(SCHEMAS.resolve(schema).toFile()));
        driver.validate(new InputSource(new StringReader(xml)));
        assertEquals(List.of(), errors, xml);
    }
}
