package org.libstorage.storagectl;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Byte sizes as virsh reads and prints them. Reading uses libvirt's unit table
 * (virScaleInteger): no unit or {@code b}/{@code byte}/{@code bytes} is bytes; a single
 * letter or {@code KiB}-style suffix is a power of 1024; {@code KB}-style is a power of 1000;
 * case does not matter. A fraction is accepted when the result is a whole number of bytes
 * ({@code 1.5GiB} yes, {@code 0.1K} no), as virsh's scaled sizes do.
 */
final class Sizes {
    private static final String PREFIXES = "kmgtpe";
    private static final String[] BINARY_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    private static final Map<String, Long> BYTE_UNITS = Map.of("", 1L, "b", 1L, "byte", 1L, "bytes", 1L);
    // Digits are [0-9], never Character.isDigit (which takes '١٢').
    private static final java.util.regex.Pattern GRAMMAR =
            java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)([A-Za-z]*)");

    private Sizes() {
    }

    /**
     * The number of bytes {@code text} means. The grammar is libvirt's and nothing more: ASCII
     * digits, optionally a fraction ({@code .} and ASCII digits), then optionally a unit. No
     * sign, no blanks (not even around the text), no other digits than 0-9.
     *
     * @throws StorageException {@link ErrorCode#INVALID_ARGUMENT} saying what is wrong with {@code text}
     */
    static long parse(String text) {
        java.util.regex.Matcher m = GRAMMAR.matcher(text);
        if (!m.matches()) {
            throw invalid("'" + shown(text) + "' is not a size: expected ASCII digits, optionally a fraction, "
                    + "and optionally a unit, with no blanks, such as 512MiB, 10G or 1.5TB");
        }
        String number = m.group(1);
        String unit = m.group(2);
        long scale = scale(unit).orElseThrow(() -> invalid("'" + shown(text)
                + "' has the unknown unit '" + unit + "': use B, K/KiB, M/MiB, G/GiB, T/TiB, P/PiB, E/EiB "
                + "(powers of 1024) or KB, MB, GB, TB, PB, EB (powers of 1000)"));
        if (number.indexOf('.') < 0 && number.length() <= 18) {
            // Whole numbers, which is nearly every size typed: plain arithmetic (a batch parses
            // thousands), with the same overflow check as below.
            long whole = Long.parseLong(number);
            if (whole > Long.MAX_VALUE / scale) {
                throw invalid("'" + shown(text) + "' is larger than " + Long.MAX_VALUE + " bytes");
            }
            return whole * scale;
        }
        BigDecimal bytes = new BigDecimal(number).multiply(BigDecimal.valueOf(scale));
        if (bytes.stripTrailingZeros().scale() > 0) {
            throw invalid("'" + shown(text) + "' is not a whole number of bytes");
        }
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw invalid("'" + shown(text) + "' is larger than " + Long.MAX_VALUE + " bytes");
        }
        return bytes.longValueExact();
    }

    private static StorageException invalid(String sentence) {
        return new StorageException(ErrorCode.INVALID_ARGUMENT, null, null, sentence);
    }

    /** The text as a message can show it: bounded, control characters escaped. */
    private static String shown(String text) {
        String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        StringBuilder b = new StringBuilder();
        cut.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format(Locale.ROOT, "\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    private static java.util.OptionalLong scale(String unit) {
        String u = unit.toLowerCase(Locale.ROOT);
        Long plain = BYTE_UNITS.get(u);
        if (plain != null) {
            return java.util.OptionalLong.of(plain);
        }
        int power = PREFIXES.indexOf(u.charAt(0)) + 1;
        if (power == 0) {
            return java.util.OptionalLong.empty();
        }
        String rest = u.substring(1);
        long base;
        if (rest.isEmpty() || rest.equals("ib")) {
            base = 1024;
        } else if (rest.equals("b")) {
            base = 1000;
        } else {
            return java.util.OptionalLong.empty();
        }
        long scale = 1;
        for (int i = 0; i < power; i++) {
            scale *= base;
        }
        return java.util.OptionalLong.of(scale);
    }

    /** {@code bytes} the way virsh prints capacities: two decimals in the largest binary unit below it. */
    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f %s", value, BINARY_UNITS[unit]);
    }

    /** Lets picocli read size options and parameters, turning a bad size into a usage error. */
    static final class Converter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return parse(value);
            } catch (StorageException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
