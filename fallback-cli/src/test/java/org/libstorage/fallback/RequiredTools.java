package org.libstorage.fallback;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Integration tests need real tools: under CI=true a missing one fails the test, elsewhere it skips it. */
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
            String message = tool + " is not installed" + hint + "; bin/test installs it when run as root";
            if ("true".equals(System.getenv("CI"))) {
                fail(message);
            }
            assumeTrue(false, message);
        }
    }
}
