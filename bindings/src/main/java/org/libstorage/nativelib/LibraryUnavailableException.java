package org.libstorage.nativelib;

import java.util.Objects;
import org.libstorage.lower.LowerLayerException;

/**
 * A native library could not be loaded, so nothing that needs it can run here. Backends turn
 * it into {@code BACKEND_UNAVAILABLE}; its message says which package to install.
 */
public final class LibraryUnavailableException extends LowerLayerException {
    private static final long serialVersionUID = 1L;

    private final String library;
    private final String soname;
    private final String debianPackage;

    public LibraryUnavailableException(String library, String soname, String debianPackage, String reason) {
        this(library, soname, debianPackage, reason, null);
    }

    /** The same, keeping what the loader threw (an {@code IllegalArgumentException} from {@code SymbolLookup}). */
    public LibraryUnavailableException(String library, String soname, String debianPackage, String reason,
                                       Throwable cause) {
        super(library + " (" + soname + ") is not available"
                + (reason == null || reason.isBlank() ? "" : ": " + reason)
                + "; install the Debian package " + debianPackage, cause);
        this.library = Objects.requireNonNull(library, "library");
        this.soname = Objects.requireNonNull(soname, "soname");
        this.debianPackage = Objects.requireNonNull(debianPackage, "debianPackage");
    }

    /** The library's short name, such as {@code libblkid}. */
    public String library() {
        return library;
    }

    /** The versioned soname that was looked up, such as {@code libblkid.so.1}. */
    public String soname() {
        return soname;
    }

    /** The Debian package that provides the library, such as {@code libblkid1}. */
    public String debianPackage() {
        return debianPackage;
    }
}
