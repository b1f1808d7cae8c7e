package org.libstorage;

import java.util.Optional;

/**
 * Where secrets (iSCSI CHAP passwords, Ceph keys) come from. Definitions only reference a
 * secret; its value is looked up when a backend needs it and never stored in XML or logs.
 */
@FunctionalInterface
public interface SecretStore {
    /** A store that knows no secrets. */
    SecretStore NONE = ref -> Optional.empty();

    /** The secret's value; the caller zeroes the array when done. */
    Optional<byte[]> lookup(PoolSource.SecretRef ref);
}
