package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({
        "0, 0", "4096, 4096", "512b, 512", "1bytes, 1",
        "1k, 1024", "1K, 1024", "1KiB, 1024", "1KB, 1000", "1kb, 1000",
        "512MiB, 536870912", "10G, 10737418240", "10GB, 10000000000", "2TiB, 2199023255552",
        "1P, 1125899906842624", "1EiB, 1152921504606846976",
        "1.5GiB, 1610612736", "0.5K, 512", "7EiB, 8070450532247928832"})
    void readsLibvirtsUnitTable(String text, long bytes) {
        assertEquals(bytes, Sizes.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "G", "10X", "10GiBs", "-1G", "+1G", "1.2.3G", "0.1K", "8EiB", "99999999999999999999",
        "ten", ".5G", "5.G", "1e3"})
    void refusesWhatIsNotAWholeByteCount(String text) {
        StorageException e = assertThrows(StorageException.class, () -> Sizes.parse(text));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    /** libvirt's grammar: ASCII digits only, and no blanks anywhere (Character.isDigit would take these). */
    @ParameterizedTest
    @ValueSource(strings = {"\u0661\u0662", "\uff15G", " 5G", "5G ", "5 G", "5\tG", "5\u00a0G", "1 bytes", "\u0665"})
    void refusesNonAsciiDigitsAndBlanks(String text) {
        StorageException e = assertThrows(StorageException.class, () -> Sizes.parse(text));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("not a size"), e.getMessage());
    }

    @Test
    void aSizeWithBlanksIsAUsageErrorFromTheCommandLine() {
        Cli.Result r = new Cli(new FakeStorage()).run("vol-create-as", "images", "a.img", "5 G");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("'5 G' is not a size"), r.err());
    }

    @Test
    void printsCapacitiesAsVirshDoes() {
        assertEquals("0 B", Sizes.human(0));
        assertEquals("1023 B", Sizes.human(1023));
        assertEquals("1.00 KiB", Sizes.human(1024));
        assertEquals("1.50 GiB", Sizes.human(1536L << 20));
        assertEquals("100.00 GiB", Sizes.human(100L << 30));
        assertEquals("8.00 EiB", Sizes.human(Long.MAX_VALUE));
    }
}
