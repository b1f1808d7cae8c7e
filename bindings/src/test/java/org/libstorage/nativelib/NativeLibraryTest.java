package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NativeLibraryTest {

    @Test
    void aMissingLibraryIsReportedNotThrown() {
        NativeLibrary missing = NativeLibrary.probe("libnotthere", "libnotthere.so.9", "libnotthere9");
        assertFalse(missing.isAvailable());
        assertFalse(missing.hasSymbol("anything"));
        String reason = missing.unavailableReason().orElseThrow();
        assertTrue(reason.contains("libnotthere.so.9") && reason.contains("libnotthere9"), reason);

        LibraryUnavailableException e = assertThrows(LibraryUnavailableException.class, missing::requireAvailable);
        assertEquals("libnotthere", e.library());
        assertEquals("libnotthere.so.9", e.soname());
        assertEquals("libnotthere9", e.debianPackage());
        assertTrue(e.getMessage().startsWith("libnotthere (libnotthere.so.9) is not available: ")
                && e.getMessage().endsWith("; install the Debian package libnotthere9"), e.getMessage());
    }

    @Test
    void aPresentLibraryIsFoundByItsVersionedSoname() {
        NativeLibrary libc = NativeLibrary.probe("libc", "libc.so.6", "libc6");
        assertTrue(libc.isAvailable());
        assertTrue(libc.hasSymbol("statx"));
        assertTrue(libc.unavailableReason().isEmpty());
        libc.requireAvailable();
    }
}
