package org.libstorage;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** The {@code <permissions>} of a pool target or volume: octal mode, owner, group, SELinux label. */
public record Permissions(OptionalInt mode, OptionalLong owner, OptionalLong group, Optional<String> label) {
    public static final Permissions NONE =
            new Permissions(OptionalInt.empty(), OptionalLong.empty(), OptionalLong.empty(), Optional.empty());

    public Permissions {
        mode.ifPresent(m -> {
            if (m < 0 || m > 07777) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, null, null,
                        "The permissions mode " + Integer.toOctalString(m) + " is not an octal mode between 0 and 7777.");
            }
        });
    }

    public static Permissions ofMode(int mode) {
        return new Permissions(OptionalInt.of(mode), OptionalLong.empty(), OptionalLong.empty(), Optional.empty());
    }
}
