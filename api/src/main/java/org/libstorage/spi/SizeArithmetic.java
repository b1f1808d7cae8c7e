package org.libstorage.spi;

import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/**
 * Size arithmetic for drivers that cannot overflow silently: a sum or a rounding that does not
 * fit a signed 64-bit byte count is {@link ErrorCode#INVALID_ARGUMENT} naming the numbers, never
 * an {@link ArithmeticException} or a negative size.
 */
public final class SizeArithmetic {
    private SizeArithmetic() {
    }

    /** {@code a + b}. */
    public static long add(long a, long b, String object, String operation) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw tooLarge(a + " + " + b, object, operation);
        }
    }

    /** {@code a * b}. */
    public static long multiply(long a, long b, String object, String operation) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw tooLarge(a + " \u00d7 " + b, object, operation);
        }
    }

    /** {@code value} rounded up to a multiple of {@code unit} (unit &gt; 0, value &ge; 0). */
    public static long roundUp(long value, long unit, String object, String operation) {
        if (unit <= 0) {
            return value;
        }
        try {
            return Math.multiplyExact(Math.ceilDiv(value, unit), unit);
        } catch (ArithmeticException e) {
            throw tooLarge(value + " rounded up to a multiple of " + unit, object, operation);
        }
    }

    private static StorageException tooLarge(String what, String object, String operation) {
        return new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation,
                "The size " + what + " is larger than the largest size, " + Long.MAX_VALUE + " bytes.");
    }
}
