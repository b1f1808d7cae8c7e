package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.function.Executable;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StorageException;

/** Small helpers shared by the core's tests. */
final class StorageTestSupport {
    private StorageTestSupport() {
    }

    static PoolDefinition dirPool(String name, Path target) {
        return PoolDefinition.builder(PoolType.DIR, name).targetPath(target).build();
    }

    static PoolDefinition logicalPool(String name) {
        return PoolDefinition.builder(PoolType.LOGICAL, name)
                .source(PoolSource.builder().name("vg_" + name).build())
                .targetPath(Path.of("/dev/vg_" + name)).build();
    }

    static PoolDefinition zfsPool(String name) {
        return PoolDefinition.builder(PoolType.ZFS, name)
                .source(PoolSource.builder().name("tank").build()).build();
    }

    /** Asserts the call fails with {@code code} and a message containing each of {@code words}. */
    static StorageException assertFails(ErrorCode code, Executable call, String... words) {
        StorageException e = assertThrows(StorageException.class, call);
        assertEquals(code, e.code(), () -> "unexpected code for: " + e.getMessage());
        for (String word : words) {
            assertTrue(e.getMessage().contains(word), () -> "'" + word + "' missing in: " + e.getMessage());
        }
        return e;
    }
}
