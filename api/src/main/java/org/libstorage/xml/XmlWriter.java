package org.libstorage.xml;

import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/**
 * Writes XML the way libvirt formats it: two-space indent, single-quoted attributes, one element
 * per line, a final newline. Attributes are given as name/value pairs; a null value omits the
 * attribute, so optional attributes read naturally at the call site.
 */
final class XmlWriter {
    private final StringBuilder out = new StringBuilder(512);
    private int depth;

    /** Opens {@code <name attrs...>} for children. */
    XmlWriter start(String name, String... attributes) {
        indent().append('<').append(name);
        attributes(attributes);
        out.append(">\n");
        depth++;
        return this;
    }

    XmlWriter end(String name) {
        depth--;
        indent().append("</").append(name).append(">\n");
        return this;
    }

    /** Writes {@code <name attrs.../>}. */
    XmlWriter empty(String name, String... attributes) {
        indent().append('<').append(name);
        attributes(attributes);
        out.append("/>\n");
        return this;
    }

    /** Writes {@code <name attrs...>text</name>}. */
    XmlWriter text(String name, String text, String... attributes) {
        indent().append('<').append(name);
        attributes(attributes);
        out.append('>');
        escape(text);
        out.append("</").append(name).append(">\n");
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void attributes(String[] attributes) {
        if (attributes.length % 2 != 0) {
            throw new IllegalArgumentException("attributes come in name/value pairs");
        }
        for (int i = 0; i < attributes.length; i += 2) {
            if (attributes[i + 1] != null) {
                out.append(' ').append(attributes[i]).append("='");
                escape(attributes[i + 1]);
                out.append('\'');
            }
        }
    }

    private StringBuilder indent() {
        out.repeat(' ', depth * 2);
        return out;
    }

    private void escape(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '\'' -> out.append("&apos;");
                case '"' -> out.append("&quot;");
                case '\t', '\n' -> out.append("&#").append((int) c).append(';');
                case '\r' -> out.append("&#13;");
                default -> {
                    if (Character.isSurrogate(c)) {
                        if (Character.isHighSurrogate(c) && i + 1 < value.length()
                                && Character.isLowSurrogate(value.charAt(i + 1))) {
                            out.append(c).append(value.charAt(++i));
                            continue;
                        }
                        throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null,
                                "The value '" + printable(value) + "' contains an unpaired surrogate U+"
                                        + String.format("%04X", (int) c) + ", which is not a character.");
                    }
                    if (c < 0x20 || c == 0xFFFE || c == 0xFFFF) {
                        // XML 1.0 cannot carry these at all, not even as character references.
                        throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null,
                                "The value '" + printable(value) + "' contains control character U+"
                                        + String.format("%04X", (int) c) + ", which XML cannot represent.");
                    }
                    out.append(c);
                }
            }
        }
    }

    private static String printable(String value) {
        StringBuilder b = new StringBuilder();
        value.codePoints().limit(64).forEach(cp -> {
            if (cp < 0x20) {
                b.append(String.format("\\x%02x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }
}
