package org.libstorage.spi;

import java.util.List;
import org.libstorage.HostDevice;

/** Enumerates and probes the host's block devices; found with {@link java.util.ServiceLoader}. */
public interface HostDeviceProvider {
    List<HostDevice> hostDevices();
}
