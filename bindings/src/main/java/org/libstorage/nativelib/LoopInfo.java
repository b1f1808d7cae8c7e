package org.libstorage.nativelib;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The state of an attached loop device ({@code LOOP_GET_STATUS64}).
 *
 * @param backingFile  the backing file's path as the kernel reports it in sysfs (or, failing
 *                     that, the first 63 bytes the attacher recorded)
 * @param sizeLimit    0 when the device spans the whole file
 * @param flags        the {@code LO_FLAGS_*} bits
 */
public record LoopInfo(Path device, int number, Path backingFile, long offset, long sizeLimit, int flags,
                       long backingDevice, long backingInode) {

    public LoopInfo {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(backingFile, "backingFile");
    }

    public boolean readOnly() {
        return (flags & LoopDevices.LO_FLAGS_READ_ONLY) != 0;
    }

    public boolean partitionScan() {
        return (flags & LoopDevices.LO_FLAGS_PARTSCAN) != 0;
    }

    public boolean autoclear() {
        return (flags & LoopDevices.LO_FLAGS_AUTOCLEAR) != 0;
    }
}
