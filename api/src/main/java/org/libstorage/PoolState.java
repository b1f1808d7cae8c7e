package org.libstorage;

/** Mirrors libvirt's virStoragePoolState. */
public enum PoolState {
    INACTIVE, BUILDING, RUNNING, DEGRADED, INACCESSIBLE
}
