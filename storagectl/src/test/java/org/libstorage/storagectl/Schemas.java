package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.fail;

import com.thaiopensource.util.PropertyMapBuilder;
import com.thaiopensource.validate.ValidateProperty;
import com.thaiopensource.validate.ValidationDriver;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.libstorage.testing.Requirements;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Checks what storagectl prints against libvirt's RelaxNG schemas (Debian libvirt0). Under
 * {@code CI=true} a missing schema fails; elsewhere the test is skipped saying why.
 */
final class Schemas {
    private static final Path DIRECTORY =
            Path.of(System.getenv().getOrDefault("LIBVIRT_SCHEMAS", "/usr/share/libvirt/schemas"));

    private Schemas() {
    }

    static void assertValidPool(String xml) {
        assertValid("storagepool.rng", xml);
    }

    static void assertValidVolume(String xml) {
        assertValid("storagevol.rng", xml);
    }

    static void assertValid(String schemaName, String xml) {
        Path schema = DIRECTORY.resolve(schemaName);
        Requirements.requireFile(schema, "libvirt's schema (Debian package libvirt0)");
        List<String> errors = new ArrayList<>();
        ErrorHandler collect = new ErrorHandler() {
            @Override
            public void warning(SAXParseException e) {
            }

            @Override
            public void error(SAXParseException e) {
                errors.add("line " + e.getLineNumber() + ": " + e.getMessage());
            }

            @Override
            public void fatalError(SAXParseException e) {
                errors.add("line " + e.getLineNumber() + ": " + e.getMessage());
            }
        };
        PropertyMapBuilder properties = new PropertyMapBuilder();
        properties.put(ValidateProperty.ERROR_HANDLER, collect);
        ValidationDriver driver = new ValidationDriver(properties.toPropertyMap());
        try {
            if (!driver.loadSchema(ValidationDriver.fileInputSource(schema.toFile()))) {
                fail("libvirt's schema " + schema + " could not be loaded: " + errors);
            }
            if (!driver.validate(new InputSource(new StringReader(xml))) || !errors.isEmpty()) {
                fail("storagectl's output does not validate against " + schemaName + ": " + errors + "\n" + xml);
            }
        } catch (SAXException | IOException e) {
            fail("Validating against " + schemaName + " failed: " + e + "\n" + xml);
        }
    }
}
