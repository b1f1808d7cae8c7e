package org.libstorage.xml;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.regex.Pattern;
import org.libstorage.ErrorCode;
import org.libstorage.Permissions;
import org.libstorage.StorageException;

/** Reading and writing the value types shared by pool and volume XML. */
final class XmlValues {
    private static final Pattern UUID_DASHED =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern UUID_PLAIN = Pattern.compile("[0-9a-fA-F]{32}");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern TIMESTAMP = Pattern.compile("([0-9]+)(?:\\.([0-9]{0,9}))?");
    private static final BigInteger MAX_SIZE = BigInteger.valueOf(Long.MAX_VALUE);
    private static final String UNITS = "b, bytes, KB, K, KiB, MB, M, MiB, GB, G, GiB, TB, T, TiB, PB, P, PiB, EB, E or EiB";

    private XmlValues() {
    }

    static StorageException invalid(String sentence) {
        return new StorageException(ErrorCode.INVALID_DEFINITION, null, null, sentence);
    }

    /**
     * Reads a size element such as {@code <capacity unit='G'>10</capacity>} into bytes, scaling
     * exactly as libvirt's virScaleInteger does: b/byte/bytes are 1, a bare letter or letter+iB
     * is a power of 1024, letter+B a power of 1000; the result must fit a signed 64-bit size
     * (off_t), as libvirt also demands.
     */
    static long size(XmlElement element) {
        String value = element.trimmedText();
        if (!DIGITS.matcher(value).matches()) {
            String why = value.startsWith("-") ? "is negative" : "is not a whole number of units";
            throw invalid("The size '" + value + "' in " + element.where() + " " + why + ".");
        }
        Optional<String> unit = element.attribute("unit");
        BigInteger scale = unit.map(u -> unitScale(u, element)).orElse(BigInteger.ONE);
        BigInteger bytes = new BigInteger(value).multiply(scale);
        if (bytes.compareTo(MAX_SIZE) > 0) {
            throw invalid("The size " + value + unit.map(u -> " " + u).orElse("") + " in " + element.where()
                    + " is larger than the maximum of " + Long.MAX_VALUE + " bytes.");
        }
        return bytes.longValueExact();
    }

    private static BigInteger unitScale(String unit, XmlElement element) {
        String u = unit.toLowerCase(Locale.ROOT);
        if (u.equals("b") || u.equals("byte") || u.equals("bytes")) {
            return BigInteger.ONE;
        }
        int base;
        if (u.length() == 1 || (u.length() == 3 && u.endsWith("ib"))) {
            base = 1024;
        } else if (u.length() == 2 && u.charAt(1) == 'b') {
            base = 1000;
        } else {
            throw badUnit(unit, element);
        }
        int power = "kmgtpe".indexOf(u.charAt(0)) + 1;
        if (power == 0) {
            throw badUnit(unit, element);
        }
        return BigInteger.valueOf(base).pow(power);
    }

    private static StorageException badUnit(String unit, XmlElement element) {
        return invalid("The unit '" + unit + "' of " + element.where() + " is not one of " + UNITS + ".");
    }

    /** An unsigned 64-bit attribute that must fit a long, such as an extent's start. */
    static long unsignedLong(XmlElement element, String attribute) {
        String value = required(element, attribute).strip();
        if (!DIGITS.matcher(value).matches()) {
            throw invalid("The attribute " + attribute + "='" + value + "' of " + element.where()
                    + " is not a non-negative whole number.");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw invalid("The attribute " + attribute + "='" + value + "' of " + element.where()
                    + " is larger than " + Long.MAX_VALUE + ".");
        }
    }

    static String required(XmlElement element, String attribute) {
        return element.attribute(attribute).orElseThrow(() ->
                invalid("The element " + element.where() + " lacks its required attribute '" + attribute + "'."));
    }

    static String requiredText(XmlElement element) {
        String text = element.trimmedText();
        if (text.isEmpty()) {
            throw invalid("The element " + element.where() + " is empty.");
        }
        return text;
    }

    static UUID uuid(XmlElement element) {
        String value = element.trimmedText();
        if (UUID_DASHED.matcher(value).matches()) {
            return UUID.fromString(value);
        }
        if (UUID_PLAIN.matcher(value).matches()) {
            return new UUID(Long.parseUnsignedLong(value.substring(0, 16), 16),
                    Long.parseUnsignedLong(value.substring(16), 16));
        }
        throw invalid("The UUID '" + value + "' in " + element.where()
                + " is not 32 hexadecimal digits (optionally dashed as 8-4-4-4-12).");
    }

    static UUID uuidAttribute(XmlElement element, String attribute) {
        String value = required(element, attribute).strip();
        if (UUID_DASHED.matcher(value).matches()) {
            return UUID.fromString(value);
        }
        if (UUID_PLAIN.matcher(value).matches()) {
            return new UUID(Long.parseUnsignedLong(value.substring(0, 16), 16),
                    Long.parseUnsignedLong(value.substring(16), 16));
        }
        throw invalid("The attribute " + attribute + "='" + value + "' of " + element.where()
                + " is not a UUID.");
    }

    static Optional<Boolean> yesNo(XmlElement element, String attribute) {
        Optional<String> value = element.attribute(attribute);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        return switch (value.get()) {
            case "yes" -> Optional.of(true);
            case "no" -> Optional.of(false);
            default -> throw invalid("The attribute " + attribute + "='" + value.get() + "' of "
                    + element.where() + " is neither 'yes' nor 'no'.");
        };
    }

    static String yesNo(boolean value) {
        return value ? "yes" : "no";
    }

    /**
     * Reads an optional {@code <permissions>}; one that sets nothing counts as absent, so that
     * what is written (nothing) reads back the same.
     */
    static Optional<Permissions> permissions(Optional<XmlElement> element) {
        return element.map(XmlValues::permissions).filter(p -> !isEmpty(p));
    }

    /** Reads {@code <permissions>}: octal mode, owner and group ids (-1 meaning unset), label. */
    static Permissions permissions(XmlElement element) {
        OptionalInt mode = OptionalInt.empty();
        Optional<XmlElement> modeElement = element.child("mode");
        if (modeElement.isPresent()) {
            String value = modeElement.get().trimmedText();
            if (!value.matches("[0-7]{1,5}") || Integer.parseInt(value, 8) > 07777) {
                throw invalid("The mode '" + value + "' in " + modeElement.get().where()
                        + " is not an octal mode between 0 and 7777.");
            }
            mode = OptionalInt.of(Integer.parseInt(value, 8));
        }
        OptionalLong owner = id(element.child("owner"));
        OptionalLong group = id(element.child("group"));
        Optional<String> label = element.child("label").map(XmlElement::trimmedText);
        return new Permissions(mode, owner, group, label);
    }

    private static OptionalLong id(Optional<XmlElement> element) {
        if (element.isEmpty()) {
            return OptionalLong.empty();
        }
        String value = element.get().trimmedText();
        // -1, and (uid_t) -1 as older libvirt wrote it, mean "not set", as libvirt reads them.
        if (value.equals("-1") || value.equals("4294967295")) {
            return OptionalLong.empty();
        }
        if (!DIGITS.matcher(value).matches() || value.length() > 10 || Long.parseLong(value) > 0xFFFF_FFFFL) {
            throw invalid("The id '" + value + "' in " + element.get().where()
                    + " is neither -1 nor a number between 0 and 4294967295.");
        }
        return OptionalLong.of(Long.parseLong(value));
    }

    static boolean isEmpty(Permissions p) {
        return p.mode().isEmpty() && p.owner().isEmpty() && p.group().isEmpty() && p.label().isEmpty();
    }

    static void writePermissions(XmlWriter out, Permissions p) {
        if (isEmpty(p)) {
            return;
        }
        out.start("permissions");
        p.mode().ifPresent(m -> out.text("mode", "0" + Integer.toOctalString(m)));
        p.owner().ifPresent(o -> out.text("owner", Long.toString(o)));
        p.group().ifPresent(g -> out.text("group", Long.toString(g)));
        p.label().ifPresent(l -> out.text("label", l));
        out.end("permissions");
    }

    /** Reads libvirt's {@code seconds[.nanoseconds]} timestamp. */
    static Instant timestamp(XmlElement element) {
        String value = element.trimmedText();
        var m = TIMESTAMP.matcher(value);
        if (!m.matches()) {
            throw invalid("The timestamp '" + value + "' in " + element.where()
                    + " is not seconds since the epoch with up to 9 decimals.");
        }
        long seconds;
        try {
            seconds = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw invalid("The timestamp '" + value + "' in " + element.where() + " is out of range.");
        }
        String fraction = m.group(2) == null ? "" : m.group(2);
        long nanos = fraction.isEmpty() ? 0 : Long.parseLong((fraction + "000000000").substring(0, 9));
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (java.time.DateTimeException e) {
            throw invalid("The timestamp '" + value + "' in " + element.where() + " is out of range.");
        }
    }

    /** Formats an instant as libvirt does: seconds, then a dot and 9 digits of nanoseconds if any. */
    static String timestamp(Instant instant, String element) {
        if (instant.getEpochSecond() < 0) {
            throw invalid("The timestamp " + instant + " of <" + element
                    + "> is before 1970, which libvirt's XML cannot express.");
        }
        return instant.getNano() == 0 ? Long.toString(instant.getEpochSecond())
                : instant.getEpochSecond() + "." + String.format("%09d", instant.getNano());
    }
}
