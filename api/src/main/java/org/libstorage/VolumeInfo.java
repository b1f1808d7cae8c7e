package org.libstorage;

/** A volume's type and size in bytes: capacity is what a guest sees, allocation what it uses. */
public record VolumeInfo(VolumeType type, long capacity, long allocation) {
}
