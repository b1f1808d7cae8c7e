package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of loading one native library by its versioned soname: either a symbol lookup
 * or the reason it is missing. Probing never throws, so a missing library cannot surface as
 * {@link UnsatisfiedLinkError} or an initialiser error; a safe wrapper probes first and only
 * then touches its jextract header class (whose static initialiser loads the same library and
 * would fail hard).
 */
public final class NativeLibrary {
    private final String name;
    private final String soname;
    private final String debianPackage;
    private final SymbolLookup lookup;
    private final String failure;

    private NativeLibrary(String name, String soname, String debianPackage, SymbolLookup lookup, String failure) {
        this.name = name;
        this.soname = soname;
        this.debianPackage = debianPackage;
        this.lookup = lookup;
        this.failure = failure;
    }

    /**
     * Loads {@code soname} through the dynamic loader's own search path (so Debian's multiarch
     * directories are found) for the life of the process.
     *
     * @param name          short name for messages, such as {@code libblkid}
     * @param soname        versioned soname, such as {@code libblkid.so.1}
     * @param debianPackage the Debian package that ships it, such as {@code libblkid1}
     */
    public static NativeLibrary probe(String name, String soname, String debianPackage) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(soname, "soname");
        Objects.requireNonNull(debianPackage, "debianPackage");
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(soname, Arena.global());
            return new NativeLibrary(name, soname, debianPackage, lookup, null);
        } catch (IllegalArgumentException | IllegalCallerException | UnsatisfiedLinkError e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new NativeLibrary(name, soname, debianPackage, null, reason);
        }
    }

    /** A library that loaded but cannot be used (an old version lacking a symbol, say). */
    static NativeLibrary unusable(NativeLibrary loaded, String reason) {
        return new NativeLibrary(loaded.name, loaded.soname, loaded.debianPackage, null, reason);
    }

    public String name() {
        return name;
    }

    public String soname() {
        return soname;
    }

    public String debianPackage() {
        return debianPackage;
    }

    public boolean isAvailable() {
        return lookup != null;
    }

    /** Why the library is not available ("install the Debian package ..."), or empty when it is. */
    public Optional<String> unavailableReason() {
        return isAvailable() ? Optional.empty() : Optional.of(unavailable().getMessage());
    }

    /** Whether the loaded library defines {@code symbol} (older versions may lack newer calls). */
    public boolean hasSymbol(String symbol) {
        return lookup != null && lookup.find(symbol).isPresent();
    }

    /** Throws {@link LibraryUnavailableException} unless the library is loaded. */
    public void requireAvailable() {
        if (!isAvailable()) {
            throw unavailable();
        }
    }

    LibraryUnavailableException unavailable() {
        return new LibraryUnavailableException(name, soname, debianPackage, failure);
    }

    @Override
    public String toString() {
        return soname + (isAvailable() ? " (loaded)" : " (unavailable: " + failure + ")");
    }
}
