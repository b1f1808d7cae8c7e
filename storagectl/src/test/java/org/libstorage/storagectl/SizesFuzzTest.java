package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/**
 * Coverage-guided fuzzing (Jazzer) of the size parser: any text gives a non-negative byte count
 * or {@code INVALID_ARGUMENT}; nothing else (no NumberFormatException, no ArithmeticException,
 * no hang). A size it accepts is all ASCII digits, at most one '.', and ASCII letters.
 */
class SizesFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void sizes(String text) {
        if (text == null) {
            return; // Jazzer passes null too; the parser's callers never do
        }
        long bytes;
        try {
            bytes = Sizes.parse(text);
        } catch (StorageException e) {
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertNotNull(e.getMessage());
            return;
        }
        assertTrue(bytes >= 0, text);
        assertTrue(text.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.' || (c < 128 && Character.isLetter(c))),
                "only ASCII digits, '.' and unit letters are accepted: " + text);
    }
}
