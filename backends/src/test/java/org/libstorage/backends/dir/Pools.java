package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.function.Executable;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/** Test helpers: dir pools opened through the SPI, volume definitions, sources, error checks. */
final class Pools {
    static final long KIB = 1L << 10;
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;

    private Pools() {
    }

    static PoolDefinition definition(String name, Path target) {
        return PoolDefinition.builder(PoolType.DIR, name).targetPath(target).build();
    }

    /** A dir pool at {@code target}, opened through the backend as the core would, not yet built. */
    static PoolDriver open(String name, Path target) {
        return new DirBackend().open(definition(name, target), new BackendContext(target.resolveSibling(name + ".state"), null));
    }

    /** A built and started dir pool. */
    static PoolDriver started(String name, Path target) {
        PoolDriver driver = open(name, target);
        driver.build(BuildMode.NO_OVERWRITE);
        driver.start();
        return driver;
    }

    static VolumeDefinition raw(String name, long capacity) {
        return VolumeDefinition.builder(name, capacity).format(VolumeFormat.RAW).build();
    }

    static VolumeDefinition qcow2(String name, long capacity) {
        return VolumeDefinition.builder(name, capacity).format(VolumeFormat.QCOW2).build();
    }

    /** A copy source as the core hands one over: the definition and the source driver's download channel. */
    static VolumeSource source(PoolDriver driver, VolumeDefinition volume) {
        return source(driver, volume, PoolType.DIR);
    }

    static VolumeSource source(PoolDriver driver, VolumeDefinition volume, PoolType type) {
        return new VolumeSource() {
            @Override
            public VolumeDefinition definition() {
                return volume;
            }

            @Override
            public PoolType poolType() {
                return type;
            }

            @Override
            public ReadableByteChannel open() {
                return driver.openRead(volume, 0, -1);
            }
        };
    }

    static StorageException fails(ErrorCode code, Executable action) {
        StorageException e = assertThrows(StorageException.class, action);
        assertEquals(code, e.code(), () -> "expected " + code + " but got " + e);
        return e;
    }

    /** As {@link #fails(ErrorCode, Executable)}, and the message contains each of {@code words}. */
    static StorageException fails(ErrorCode code, Executable action, String... words) {
        StorageException e = fails(code, action);
        for (String word : words) {
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(word),
                    () -> "'" + word + "' missing in: " + e.getMessage());
        }
        return e;
    }
}
