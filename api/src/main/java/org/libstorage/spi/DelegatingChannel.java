package org.libstorage.spi;

import java.nio.channels.Channel;

/**
 * A channel the core hands out around a driver's channel (holding the volume's claim until it
 * is closed). Data-path code may use {@link #delegate()} directly, to reach what the driver's
 * channel knows (its holes, its descriptor), but must close this channel, not the delegate.
 */
public interface DelegatingChannel extends Channel {
    /** The driver's channel. */
    Channel delegate();
}
