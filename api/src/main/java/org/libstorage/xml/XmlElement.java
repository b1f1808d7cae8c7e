package org.libstorage.xml;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One element of a parsed document, immutable, with the line it starts on so that error
 * messages can point at it. A tiny tree instead of DOM keeps the readers short and free of
 * DOM's mutability and namespace pitfalls.
 *
 * @param namespace the namespace URI, empty for none
 * @param attributes unqualified attributes, in document order
 * @param text the element's own character content, untrimmed
 */
record XmlElement(String namespace, String name, Map<String, String> attributes, List<XmlElement> children,
                  String text, int line) {

    XmlElement {
        attributes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(attributes));
        children = List.copyOf(children);
    }

    /** The first child in no namespace with this name. */
    Optional<XmlElement> child(String childName) {
        return children(childName).findFirst();
    }

    /** Children in no namespace with this name. */
    Stream<XmlElement> children(String childName) {
        return children.stream().filter(c -> c.namespace.isEmpty() && c.name.equals(childName));
    }

    /** The first child in {@code ns} with this name. */
    Optional<XmlElement> child(String ns, String childName) {
        return children.stream().filter(c -> c.namespace.equals(ns) && c.name.equals(childName)).findFirst();
    }

    Optional<String> attribute(String attributeName) {
        return Optional.ofNullable(attributes.get(attributeName));
    }

    /** The trimmed text content, as libvirt's XPath string() reads it (with outer blanks dropped). */
    String trimmedText() {
        return text.strip();
    }

    /** {@code <name>} on line N, for messages. */
    String where() {
        return "<" + name + ">" + (line > 0 ? " on line " + line : "");
    }
}
