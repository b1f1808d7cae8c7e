package org.libstorage;

import java.util.Objects;

/**
 * A volume's format as libvirt names it in {@code <format type='...'/>}: an image format for
 * file volumes (raw, qcow2, ...), a partition type for disk pools, a filesystem for fs pools.
 * Open-ended on purpose: libvirt's list grows and unknown formats must round-trip.
 */
public record VolumeFormat(String name) {
    public static final VolumeFormat RAW = new VolumeFormat("raw");
    public static final VolumeFormat QCOW2 = new VolumeFormat("qcow2");
    public static final VolumeFormat DIR = new VolumeFormat("dir");
    public static final VolumeFormat ISO = new VolumeFormat("iso");

    public VolumeFormat {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null, "A volume format must not be empty.");
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
