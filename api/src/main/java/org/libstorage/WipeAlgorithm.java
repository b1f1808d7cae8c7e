package org.libstorage;

/** How {@link Volume#wipe} destroys a volume's data. */
public enum WipeAlgorithm {
    /** Overwrite with zeros (punching or zeroing ranges where the storage allows). */
    ZERO,
    /** Overwrite with random data. */
    RANDOM,
    /** Discard every block (TRIM/UNMAP/punch hole); reads may return zeros afterwards. */
    TRIM
}
