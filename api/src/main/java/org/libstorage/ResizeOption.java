package org.libstorage;

/** Options for {@link Volume#resize}. */
public enum ResizeOption {
    /** Permit a capacity below the current one (data past it is lost). */
    ALLOW_SHRINK,
    /** Allocate the added space now instead of leaving it sparse. */
    ALLOCATE
}
