package org.libstorage.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.thaiopensource.util.PropertyMap;
import com.thaiopensource.util.PropertyMapBuilder;
import com.thaiopensource.validate.IncorrectSchemaException;
import com.thaiopensource.validate.Schema;
import com.thaiopensource.validate.ValidateProperty;
import com.thaiopensource.validate.ValidationDriver;
import com.thaiopensource.validate.Validator;
import com.thaiopensource.validate.auto.AutoSchemaReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;

/**
 * Validates documents against libvirt's own RelaxNG schemas (Debian package libvirt0), loaded by
 * file path so their {@code <include href='basictypes.rng'/>} resolve next to them. Under
 * {@code CI=true} a missing schema fails the test; elsewhere the test is skipped with a message.
 * Each schema is compiled once per test run. Every module's tests use this one class.
 */
public final class LibvirtSchemas {
    public static final Path DIRECTORY = Path.of(System.getenv().getOrDefault("LIBVIRT_SCHEMAS", "/usr/share/libvirt/schemas"));
    private static final Map<String, Schema> COMPILED = new ConcurrentHashMap<>();

    private LibvirtSchemas() {
    }

    public static void assertValidPool(String xml) {
        assertValid("storagepool.rng", xml);
    }

    public static void assertValidVolume(String xml) {
        assertValid("storagevol.rng", xml);
    }

    public static void assertValid(String schemaName, String xml) {
        List<String> errors = errors(schemaName, xml);
        if (!errors.isEmpty()) {
            fail("The document does not validate against " + schemaName + ": " + errors + "\n" + xml);
        }
    }

    /** The validation errors of {@code xml} against libvirt's schema {@code schemaName}. */
    public static List<String> errors(String schemaName, String xml) {
        Schema schema = COMPILED.computeIfAbsent(schemaName, LibvirtSchemas::compile);
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
        Validator validator = schema.createValidator(properties.toPropertyMap());
        try {
            SAXParserFactory factory = SAXParserFactory.newInstance();
            factory.setNamespaceAware(true);
            XMLReader reader = factory.newSAXParser().getXMLReader();
            reader.setContentHandler(validator.getContentHandler());
            reader.setErrorHandler(collect);
            reader.parse(new InputSource(new StringReader(xml)));
        } catch (SAXException | IOException | ParserConfigurationException e) {
            errors.add(e.toString());
        }
        return errors;
    }

    private static Schema compile(String schemaName) {
        Path schema = DIRECTORY.resolve(schemaName);
        Requirements.requireFile(schema, "libvirt's schema (Debian package libvirt0)");
        try {
            return new AutoSchemaReader().createSchema(ValidationDriver.fileInputSource(schema.toFile()),
                    PropertyMap.EMPTY);
        } catch (IOException | SAXException | IncorrectSchemaException e) {
            return fail("libvirt's schema " + schema + " could not be loaded: " + e);
        }
    }
}
