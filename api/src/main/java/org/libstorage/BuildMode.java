package org.libstorage;

/** How {@link Pool#build(BuildMode)} treats what is already on the pool's source. */
public enum BuildMode {
    /** Build, refusing a source that already holds data or a signature. */
    NO_OVERWRITE,
    /** Build, destroying whatever the source holds. */
    OVERWRITE
}
