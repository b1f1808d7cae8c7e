package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.libstorage.testing.Requirements;

/**
 * libopeniscsiusr reads the kernel's iSCSI sessions as sysfs shows them: the same session ids
 * as {@code /sys/class/iscsi_session}, none where the kernel has no initiator or no session.
 * The lab's kernel iSCSI tests check a logged-in session field by field.
 */
class OpenIscsiUsrTest {
    @Test
    void listsTheSessionsSysfsShows() throws Exception {
        OpenIscsiUsr library = OpenIscsiUsr.instance();
        Requirements.require(library.isAvailable(), "libopeniscsiusr (Debian package libopeniscsiusr)");
        List<OpenIscsiUsr.Session> sessions = library.sessions();
        Path sysfs = Path.of("/sys/class/iscsi_session");
        Set<Integer> expected = Set.of();
        if (Files.isDirectory(sysfs)) {
            try (Stream<Path> entries = Files.list(sysfs)) {
                expected = entries.map(p -> Integer.parseInt(p.getFileName().toString().substring("session".length())))
                        .collect(Collectors.toSet());
            }
        }
        assertEquals(expected, sessions.stream().map(OpenIscsiUsr.Session::sid).collect(Collectors.toSet()));
        for (OpenIscsiUsr.Session session : sessions) {
            assertTrue(session.target().startsWith("iqn.") || session.target().startsWith("eui.")
                    || session.target().startsWith("naa."), session::toString);
        }
    }

    @Test
    void aMissingLibrarySaysWhichPackageToInstall() {
        OpenIscsiUsr missing = new OpenIscsiUsr(NativeLibrary.probe("libopeniscsiusr", "libopeniscsiusr.so.999",
                OpenIscsiUsr.DEBIAN_PACKAGE));
        assertFalse(missing.isAvailable());
        assertTrue(missing.unavailableReason().orElseThrow().contains("libopeniscsiusr"));
        LibraryUnavailableException e = assertThrows(LibraryUnavailableException.class, missing::sessions);
        assertEquals("libopeniscsiusr.so.999", e.soname());
    }
}
