package org.libstorage.backends.iscsi;

import org.libstorage.ErrorCode;
import org.libstorage.ProgressListener;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.spi.PoolDriver;
import org.libstorage.spi.VolumeSource;

/**
 * An iSCSI pool's volumes are the target's LUNs, whichever initiator reads them: the pool can
 * neither make, remove nor resize one. Both drivers refuse those operations with the same
 * explanation of where to do them instead.
 */
interface LunsAreFixed extends PoolDriver {

    @Override
    default VolumeDefinition createVolume(VolumeDefinition volume) {
        throw lunsFixed("vol-create");
    }

    @Override
    default VolumeDefinition createVolumeFrom(VolumeDefinition volume, VolumeSource source, ProgressListener progress) {
        throw lunsFixed("vol-create-from");
    }

    @Override
    default void deleteVolume(VolumeDefinition volume) {
        throw lunsFixed("vol-delete");
    }

    @Override
    default VolumeDefinition resizeVolume(VolumeDefinition volume, long capacity, boolean allowShrink,
                                          boolean allocate) {
        throw lunsFixed("vol-resize");
    }

    private StorageException lunsFixed(String operation) {
        String pool = definition().name();
        return new StorageException(ErrorCode.OPERATION_UNSUPPORTED, "pool '" + pool + "'", operation,
                "An iSCSI initiator cannot create, delete or resize LUNs (pool '" + pool
                        + "'); do that on the target, then refresh the pool. To put data onto a LUN, upload it.");
    }
}
