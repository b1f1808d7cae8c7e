package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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

    @Test
    void aLibraryLackingASymbolAtLinkTimeIsUnavailableWithTheLinkerErrorAsCause() {
        NativeLibrary libc = NativeLibrary.probe("libc", "libc.so.6", "libc6");
        UnsatisfiedLinkError linkerError = new UnsatisfiedLinkError("unresolved symbol: statx9");

        NativeLibrary.Linked<String> linked = libc.link(() -> {
            throw linkerError;
        });

        assertFalse(linked.library().isAvailable());
        assertEquals(null, linked.bound());
        LibraryUnavailableException e = assertThrows(LibraryUnavailableException.class,
                linked.library()::requireAvailable);
        assertTrue(e.getMessage().contains("it lacks a function libstorage needs: unresolved symbol: statx9"),
                e.getMessage());
        assertEquals(linkerError, e.getCause());
    }

    @Test
    void linkingBindsOnlyWhatLoaded() {
        NativeLibrary libc = NativeLibrary.probe("libc", "libc.so.6", "libc6");
        assertEquals("bound", libc.link(() -> "bound").bound());

        NativeLibrary missing = NativeLibrary.probe("libnotthere", "libnotthere.so.9", "libnotthere9");
        NativeLibrary.Linked<String> notLinked = missing.link(() -> {
            throw new AssertionError("a missing library's header class must never be touched");
        });
        assertFalse(notLinked.library().isAvailable());
        assertTrue(notLinked.library().unavailableReason().orElseThrow().contains("libnotthere.so.9"));
    }

    @Test
    void theFirstMissingSymbolIsNamedWithTheVersionHint() {
        NativeLibrary libc = NativeLibrary.probe("libc", "libc.so.6", "libc6");
        assertTrue(libc.requiringSymbols(List.of("statx", "openat"), "").isAvailable());

        NativeLibrary old = libc.requiringSymbols(List.of("statx", "no_such_call_2", "no_such_call_3"),
                " (a libc before 2099)");
        assertFalse(old.isAvailable());
        String reason = old.unavailableReason().orElseThrow();
        assertTrue(reason.contains("it lacks no_such_call_2 (a libc before 2099)"), reason);
    }
}
