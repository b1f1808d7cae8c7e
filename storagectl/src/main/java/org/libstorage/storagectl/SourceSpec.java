package org.libstorage.storagectl;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.OptionalInt;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.libstorage.ErrorCode;
import org.libstorage.PoolSource;
import org.libstorage.StorageException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * Reads find-pool-sources' search hint, a lone {@code <source>} (as virsh's srcSpec file). It is
 * a partial source, so PoolXml's per-type rules, which check complete pools, do not apply here.
 * Parsing refuses DTDs and external entities, like the library's own XML reading.
 */
final class SourceSpec {
    private SourceSpec() {
    }

    static PoolSource.Builder read(String xml, Path file) {
        Element root;
        try {
            // The JDK's own parser, whatever else is on the class path.
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            root = factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml))).getDocumentElement();
        } catch (SAXException | IOException | ParserConfigurationException e) {
            throw invalid(file, "it is not well-formed XML (" + e.getMessage() + ")", e);
        }
        if (!root.getTagName().equals("source")) {
            throw invalid(file, "its root element is <" + root.getTagName() + ">, not <source>", null);
        }
        PoolSource.Builder source = PoolSource.builder();
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element e)) {
                continue;
            }
            switch (e.getTagName()) {
                case "host" -> source.host(new PoolSource.Host(required(file, e, "name"), port(file, e)));
                case "device" -> source.device(Path.of(required(file, e, "path")));
                case "dir" -> source.dir(Path.of(required(file, e, "path")));
                case "name" -> source.name(e.getTextContent().strip());
                case "format" -> source.format(required(file, e, "type"));
                case "initiator" -> {
                    for (Node i = e.getFirstChild(); i != null; i = i.getNextSibling()) {
                        if (i instanceof Element iqn && iqn.getTagName().equals("iqn")) {
                            source.initiatorIqn(required(file, iqn, "name"));
                        }
                    }
                }
                default -> throw invalid(file, "<source> has <" + e.getTagName()
                        + ">, which find-pool-sources does not use (it takes host, device, dir, name, format, initiator)", null);
            }
        }
        return source;
    }

    private static OptionalInt port(Path file, Element host) {
        String port = host.getAttribute("port");
        if (port.isEmpty()) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw invalid(file, "the host port '" + port + "' is not a number", e);
        }
    }

    private static String required(Path file, Element e, String attribute) {
        String value = e.getAttribute(attribute);
        if (value.isEmpty()) {
            throw invalid(file, "<" + e.getTagName() + "> has no '" + attribute + "' attribute", null);
        }
        return value;
    }

    private static StorageException invalid(Path file, String problem, Throwable cause) {
        return new StorageException(ErrorCode.INVALID_DEFINITION, "file " + file, "find-pool-sources",
                "The source spec " + file + " is invalid: " + problem + ".", cause);
    }
}
