package org.libstorage.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

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
    private final Throwable cause;

    private NativeLibrary(String name, String soname, String debianPackage, SymbolLookup lookup, String failure,
                          Throwable cause) {
        this.name = name;
        this.soname = soname;
        this.debianPackage = debianPackage;
        this.lookup = lookup;
        this.failure = failure;
        this.cause = cause;
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
            return new NativeLibrary(name, soname, debianPackage, lookup, null, null);
        } catch (IllegalArgumentException | IllegalCallerException | UnsatisfiedLinkError e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new NativeLibrary(name, soname, debianPackage, null, reason, e);
        }
    }

    /**
     * What a safe wrapper binds once the library has loaded: its jextract header class is
     * initialised only inside {@code binder}, and a symbol an older version lacks makes the
     * library {@linkplain #isAvailable() unavailable} (keeping the linker's error as the cause)
     * instead of failing hard. {@code bound} is null exactly when the library is unavailable.
     */
    public record Linked<T>(NativeLibrary library, T bound) {
    }

    /** Runs {@code binder} if the library loaded; see {@link Linked}. */
    public <T> Linked<T> link(Supplier<T> binder) {
        if (!isAvailable()) {
            return new Linked<>(this, null);
        }
        try {
            return new Linked<>(this, Objects.requireNonNull(binder.get(), "bound"));
        } catch (RuntimeException | LinkageError e) {
            // The message names the missing symbol; the error itself stays as the cause.
            String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new Linked<>(unusable("it lacks a function libstorage needs: " + detail, e), null);
        }
    }

    /**
     * This library, or an unavailable one naming the first of {@code symbols} it does not
     * define; {@code versionHint} (such as " (librbd before Ceph 14)") follows that name.
     */
    public NativeLibrary requiringSymbols(List<String> symbols, String versionHint) {
        if (!isAvailable()) {
            return this;
        }
        for (String symbol : symbols) {
            if (!hasSymbol(symbol)) {
                return unusable("it lacks " + symbol + versionHint, null);
            }
        }
        return this;
    }

    private NativeLibrary unusable(String reason, Throwable why) {
        return new NativeLibrary(name, soname, debianPackage, null, reason, why);
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
        return new LibraryUnavailableException(name, soname, debianPackage, failure, cause);
    }

    @Override
    public String toString() {
        return soname + (isAvailable() ? " (loaded)" : " (unavailable: " + failure + ")");
    }
}
