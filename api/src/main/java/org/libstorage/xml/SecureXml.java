package org.libstorage.xml;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.xml.sax.Attributes;
import org.xml.sax.InputSource;
import org.xml.sax.Locator;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Parses untrusted XML with the JDK's SAX parser, hardened: a DOCTYPE is a fatal error (so no
 * DTD, no entity of any kind, no billion laughs), external entities and DTD loading are off,
 * XInclude is off and secure processing limits apply. Definitions never need any of these.
 */
final class SecureXml {
    private static final String DISALLOW_DOCTYPE = "http://apache.org/xml/features/disallow-doctype-decl";
    /** libvirt's documents are a few levels deep; a deep nest is an attack, not a definition. */
    private static final int MAX_DEPTH = 64;
    /** libvirt refuses definitions past 10 MiB; anything bigger is a mistake or an attack. */
    static final int MAX_CHARS = 10 << 20;

    /**
     * Configured once and never changed afterwards: building and configuring a factory costs more
     * than parsing a definition, and a factory that is only read is safe to share between threads.
     */
    private static final SAXParserFactory FACTORY = hardenedFactory();

    private SecureXml() {
    }

    /**
     * Parses {@code xml} into a tree.
     *
     * @param what what the document should be, for messages ("pool XML", "volume XML")
     * @throws StorageException {@link ErrorCode#INVALID_DEFINITION} when it is not well-formed or
     *         declares a DOCTYPE
     */
    static XmlElement parse(String xml, String what) {
        if (xml == null || xml.isBlank()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null, "The " + what + " is empty.");
        }
        if (xml.length() > MAX_CHARS) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null, "The " + what + " is "
                    + xml.length() + " characters long, more than the " + MAX_CHARS + " (10 MiB) a definition may be.");
        }
        TreeBuilder builder = new TreeBuilder();
        try {
            XMLReader reader = newParser().getXMLReader();
            reader.setContentHandler(builder);
            reader.setErrorHandler(builder);
            // Belt and braces: even if a DOCTYPE slipped through, nothing external is ever read.
            reader.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entity '" + systemId + "' is not allowed");
            });
            reader.parse(new InputSource(new StringReader(xml)));
        } catch (SAXParseException e) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null, describe(what, e), e);
        } catch (SAXException | IOException e) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null,
                    "The " + what + " could not be parsed: " + e.getMessage(), e);
        }
        return builder.root;
    }

    private static String describe(String what, SAXParseException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        String line = e.getLineNumber() > 0 ? " on line " + e.getLineNumber() : "";
        if (message.contains("DOCTYPE") || message.contains(DISALLOW_DOCTYPE)) {
            return "The " + what + " declares a DOCTYPE" + line
                    + ", which is refused because DTDs and entities are not allowed in definitions.";
        }
        return "The " + what + " is not well-formed XML" + line + ": " + stripPeriod(message) + ".";
    }

    private static String stripPeriod(String message) {
        return message.endsWith(".") ? message.substring(0, message.length() - 1) : message;
    }

    private static SAXParserFactory hardenedFactory() {
        try {
            // newDefaultInstance: the JDK's own parser, no service lookup, whatever is on the class path.
            SAXParserFactory factory = SAXParserFactory.newDefaultInstance();
            factory.setNamespaceAware(true);
            factory.setValidating(false);
            factory.setXIncludeAware(false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature(DISALLOW_DOCTYPE, true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            return factory;
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("The JDK's XML parser does not support the required hardening", e);
        }
    }

    private static SAXParser newParser() throws SAXException {
        try {
            SAXParser parser = FACTORY.newSAXParser();
            parser.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            parser.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            return parser;
        } catch (ParserConfigurationException e) {
            throw new StorageException(ErrorCode.INTERNAL_ERROR, null, null,
                    "The JDK's XML parser does not support the hardening this library requires.", e);
        }
    }

    /** Builds {@link XmlElement}s bottom-up as SAX reports them. */
    private static final class TreeBuilder extends DefaultHandler {
        private final Deque<Partial> open = new ArrayDeque<>();
        private Locator locator;
        private XmlElement root;

        @Override
        public void setDocumentLocator(Locator locator) {
            this.locator = locator;
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes attrs) throws SAXException {
            if (open.size() >= MAX_DEPTH) {
                throw new SAXParseException("elements are nested deeper than " + MAX_DEPTH + " levels", locator);
            }
            Map<String, String> attributes = new LinkedHashMap<>();
            for (int i = 0; i < attrs.getLength(); i++) {
                // Namespaced attributes (xmlns declarations are not reported) have no meaning here.
                if (attrs.getURI(i).isEmpty()) {
                    attributes.put(attrs.getLocalName(i), attrs.getValue(i));
                }
            }
            int line = locator == null ? 0 : locator.getLineNumber();
            open.push(new Partial(uri == null ? "" : uri, localName, attributes, line));
        }

        @Override
        public void characters(char[] ch, int start, int length) {
            if (!open.isEmpty()) {
                open.peek().text.append(ch, start, length);
            }
        }

        @Override
        public void endElement(String uri, String localName, String qName) {
            Partial done = open.pop();
            XmlElement element = new XmlElement(done.namespace, done.name, done.attributes, done.children,
                    done.text.toString(), done.line);
            if (open.isEmpty()) {
                root = element;
            } else {
                open.peek().children.add(element);
            }
        }

        @Override
        public void warning(SAXParseException e) {
            // Warnings do not make a document unusable.
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    }

    private static final class Partial {
        final String namespace;
        final String name;
        final Map<String, String> attributes;
        final int line;
        final List<XmlElement> children = new ArrayList<>();
        final StringBuilder text = new StringBuilder();

        Partial(String namespace, String name, Map<String, String> attributes, int line) {
            this.namespace = namespace;
            this.name = name;
            this.attributes = attributes;
            this.line = line;
        }
    }
}
