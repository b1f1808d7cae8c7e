package org.libstorage.lower;

import org.libstorage.nativelib.IscsiException;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.nativelib.NativeCallException;

/**
 * What the layers under the library throw: a native call that failed, a library that cannot be
 * loaded, an iSCSI/SCSI failure, or a command that failed. A closed family, so the layer above
 * (the backends) maps every case to a {@code StorageException} with a {@code switch} the
 * compiler checks, and never needs a catch-all.
 *
 * <p>Each keeps what its layer knew in typed fields (library, function, errno; argv, exit
 * status, stderr) and, when it was caused by another exception (an {@code IOException} starting
 * a process, a failure on LVM's thread, an interrupt), that exception as its cause, unchanged:
 * nothing in the family is rebuilt from another exception's {@code toString()}.
 *
 * <p>It lives in the bindings module because a sealed hierarchy must stay in one module, and the
 * bindings module, like the command runner's, depends on the JDK alone; {@code fallback-cli}
 * depends on it for {@link CommandException}.
 */
public abstract sealed class LowerLayerException extends RuntimeException
        permits NativeCallException, LibraryUnavailableException, IscsiException, CommandException {
    private static final long serialVersionUID = 1L;

    protected LowerLayerException(String message, Throwable cause) {
        super(message, cause);
    }
}
