package org.libstorage.spi;

import java.nio.file.Path;
import org.libstorage.SecretStore;

/**
 * What the core gives a driver: a private directory for its run-time state (cleared at boot)
 * and the secret store.
 */
public record BackendContext(Path stateDir, SecretStore secrets) {
}
