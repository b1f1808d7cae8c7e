package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.nativelib.ZfsCore;
import org.libstorage.testing.Requirements;

/**
 * storagectl on a host where libzfs_core cannot be loaded: run in a private mount namespace in
 * which an empty file is bind-mounted over the library, so the dynamic loader finds the soname
 * but cannot load it, as on a host without the package. The zfs backend must say so, naming
 * the Debian packages, and every zfs operation fail with BACKEND_UNAVAILABLE (exit status 6).
 */
class ZfsLibraryMissingTest {
    @TempDir
    Path tmp;

    @Test
    void withoutLibzfsCoreEveryZfsVerbNamesThePackagesToInstall() throws Exception {
        Requirements.requireRoot("a private mount namespace hiding libzfs_core");
        Requirements.requireCommand("unshare", "util-linux");
        Path library = installedLibrary();
        Path empty = Files.createFile(tmp.resolve("empty.so"));
        Path config = tmp.resolve("config");

        Result backends = storagectl(library, empty, "--config-dir", config.toString(), "backends");
        assertEquals(0, backends.status(), backends.toString());
        String zfsLine = backends.out().lines().filter(l -> l.strip().startsWith("zfs ")).findFirst().orElseThrow();
        assertTrue(zfsLine.contains(" no ") && zfsLine.contains(ZfsCore.DEBIAN_PACKAGE)
                && zfsLine.contains(ZfsCore.NVPAIR_DEBIAN_PACKAGE), zfsLine);

        Result define = storagectl(library, empty, "--config-dir", config.toString(), "pool-define-as", "tank", "zfs",
                "--source-name", "tank");
        assertEquals(0, define.status(), "a definition needs no library: " + define);
        Result start = storagectl(library, empty, "--config-dir", config.toString(), "pool-start", "tank");
        assertEquals(6, start.status(), start.toString());
        assertTrue(start.err().startsWith("error: ") && start.err().contains(ZfsCore.DEBIAN_PACKAGE), start.err());
    }

    /** Where the loader finds libzfs_core.so.3 on this host (from ldconfig's cache, else the multiarch directory). */
    private static Path installedLibrary() throws Exception {
        for (String dir : List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                "/lib", "/usr/lib")) {
            Path candidate = Path.of(dir, ZfsCore.SONAME);
            if (Files.exists(candidate)) {
                return candidate.toRealPath();
            }
        }
        Requirements.require(false, ZfsCore.SONAME + " installed (Debian " + ZfsCore.DEBIAN_PACKAGE + ")");
        throw new IllegalStateException("unreachable");
    }

    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Result storagectl(Path library, Path empty, String... args) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> classPath = new ArrayList<>();
        for (String property : List.of("java.class.path", "jdk.module.path")) {
            String value = System.getProperty(property);
            if (value != null && !value.isEmpty()) {
                classPath.add(value);
            }
        }
        StringBuilder script = new StringBuilder("mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"");
        List<String> argv = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                script.toString(), "sh", empty.toString(), library.toString(), java.toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", String.join(File.pathSeparator, classPath),
                "org.libstorage.storagectl.Main"));
        argv.addAll(List.of(args));
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process process = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("storagectl did not finish: " + argv);
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
