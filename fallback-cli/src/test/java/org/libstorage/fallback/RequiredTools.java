package org.libstorage.fallback;

import org.libstorage.testing.Requirements;

/** Integration tests need real tools, named with their Debian package ({@link Requirements} decides skip or fail). */
final class RequiredTools {
    private RequiredTools() {
    }

    static void require(String... tools) {
        CommandRunner runner = CommandRunner.create();
        for (String tool : tools) {
            if (runner.available(tool)) {
                continue;
            }
            String hint = CommandRunner.debianPackage(tool).map(p -> " (Debian package " + p + ")").orElse("");
            Requirements.require(false, tool + hint + "; bin/test installs it when run as root");
        }
    }
}
