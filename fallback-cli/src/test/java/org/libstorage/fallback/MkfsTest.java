package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MkfsTest {
    private static final long MiB = 1024 * 1024;
    private static final String UUID = "0d8f1c2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f";

    @TempDir
    Path dir;

    private final Mkfs mkfs = new Mkfs(CommandRunner.create());

    @Test
    void makesExt4WithLabelAndUuid() throws IOException {
        RequiredTools.require("mkfs.ext4", "blkid");
        Path image = sparseFile("ext4.img", 64 * MiB);

        mkfs.make(image, Mkfs.Filesystem.EXT4, Mkfs.Options.defaults().withLabel("data disk").withUuid(UUID));

        Map<String, String> probed = blkid(image);
        assertEquals("ext4", probed.get("TYPE"));
        assertEquals("data disk", probed.get("LABEL"));
        assertEquals(UUID, probed.get("UUID"));
    }

    @Test
    void makesXfsAndOverwritesOnlyWhenAsked() throws IOException {
        RequiredTools.require("mkfs.xfs", "mkfs.ext4", "blkid");
        Path image = sparseFile("xfs.img", 320 * MiB); // xfsprogs refuses filesystems under 300 MB
        mkfs.make(image, Mkfs.Filesystem.EXT4, Mkfs.Options.defaults());

        CommandException refused = assertThrows(CommandException.class,
                () -> mkfs.make(image, Mkfs.Filesystem.XFS, Mkfs.Options.defaults()));
        assertEquals(CommandException.Reason.EXIT_STATUS, refused.reason());
        assertTrue(refused.stderr().contains("existing filesystem"), refused.stderr());
        assertEquals("ext4", blkid(image).get("TYPE"));

        mkfs.make(image, Mkfs.Filesystem.XFS, Mkfs.Options.defaults().withOverwrite().withLabel("scratch")
                .withUuid(UUID));

        Map<String, String> probed = blkid(image);
        assertEquals("xfs", probed.get("TYPE"));
        assertEquals("scratch", probed.get("LABEL"));
        assertEquals(UUID, probed.get("UUID"));
    }

    @Test
    void makesBtrfsAndVfat() throws IOException {
        RequiredTools.require("mkfs.btrfs", "mkfs.vfat", "blkid");
        Path btrfs = sparseFile("btrfs.img", 256 * MiB);
        Path vfat = sparseFile("vfat.img", 64 * MiB);

        mkfs.make(btrfs, Mkfs.Filesystem.BTRFS, Mkfs.Options.defaults().withLabel("pool").withUuid(UUID));
        mkfs.make(vfat, Mkfs.Filesystem.VFAT, Mkfs.Options.defaults().withLabel("EFI").withUuid("abcd-1234"));

        assertEquals("btrfs", blkid(btrfs).get("TYPE"));
        assertEquals(UUID, blkid(btrfs).get("UUID"));
        assertEquals("vfat", blkid(vfat).get("TYPE"));
        assertEquals("EFI", blkid(vfat).get("LABEL"));
        assertEquals("ABCD-1234", blkid(vfat).get("UUID"));
    }

    @Test
    void makesExt2AndExt3() throws IOException {
        RequiredTools.require("mkfs.ext2", "mkfs.ext3", "blkid");
        Path ext2 = sparseFile("ext2.img", 16 * MiB);
        Path ext3 = sparseFile("ext3.img", 16 * MiB);

        mkfs.make(ext2, Mkfs.Filesystem.EXT2, Mkfs.Options.defaults());
        mkfs.make(ext3, Mkfs.Filesystem.EXT3, Mkfs.Options.defaults());

        assertEquals("ext2", blkid(ext2).get("TYPE"));
        assertEquals("ext3", blkid(ext3).get("TYPE"));
    }

    @Test
    void passesExactlyTheFlagsAsked() {
        Path device = Path.of("/dev/loop7");

        assertEquals(List.of("mkfs.ext4", "-q", "/dev/loop7"),
                Mkfs.command(device, Mkfs.Filesystem.EXT4, Mkfs.Options.defaults()).argv());
        assertEquals(List.of("mkfs.ext4", "-q", "-F", "-L", "-x", "-U", UUID, "/dev/loop7"),
                Mkfs.command(device, Mkfs.Filesystem.EXT4, Mkfs.Options.defaults().withOverwrite().withLabel("-x")
                        .withUuid(UUID.toUpperCase())).argv());
        assertEquals(List.of("mkfs.xfs", "-q", "-f", "-L", "l", "-m", "uuid=" + UUID, "/dev/loop7"),
                Mkfs.command(device, Mkfs.Filesystem.XFS, new Mkfs.Options(true, Optional.of("l"), Optional.of(UUID)))
                        .argv());
        assertEquals(List.of("mkfs.btrfs", "-q", "/dev/loop7"),
                Mkfs.command(device, Mkfs.Filesystem.BTRFS, Mkfs.Options.defaults()).argv());
        assertEquals(List.of("mkfs.vfat", "-n", "BOOT", "-i", "ABCD1234", "/dev/loop7"),
                Mkfs.command(device, Mkfs.Filesystem.VFAT, Mkfs.Options.defaults().withLabel("BOOT")
                        .withUuid("abcd-1234")).argv());
    }

    @Test
    void unknownFilesystemNamesAreRefusedBeforeAnythingRuns() {
        assertEquals(Optional.of(Mkfs.Filesystem.XFS), Mkfs.Filesystem.fromName("xfs"));
        assertEquals(Optional.empty(), Mkfs.Filesystem.fromName("ntfs"));
        assertEquals(Optional.empty(), Mkfs.Filesystem.fromName("auto"));
        assertEquals(Optional.empty(), Mkfs.Filesystem.fromName("XFS"));
        assertEquals(6, Mkfs.supportedTypes().size());
    }

    @Test
    void labelsAndUuidsOutsideAFilesystemsLimitsAreRefused() {
        Path device = Path.of("/dev/null");

        assertThrows(IllegalArgumentException.class, () -> Mkfs.command(device, Mkfs.Filesystem.XFS,
                Mkfs.Options.defaults().withLabel("thirteen char")));
        assertThrows(IllegalArgumentException.class, () -> Mkfs.command(device, Mkfs.Filesystem.EXT4,
                Mkfs.Options.defaults().withLabel("seventeen bytes!!")));
        assertThrows(IllegalArgumentException.class, () -> Mkfs.command(device, Mkfs.Filesystem.VFAT,
                Mkfs.Options.defaults().withLabel("A:B")));
        assertThrows(IllegalArgumentException.class, () -> Mkfs.command(device, Mkfs.Filesystem.EXT4,
                Mkfs.Options.defaults().withLabel("tab\there")));
        assertThrows(IllegalArgumentException.class, () -> Mkfs.command(device, Mkfs.Filesystem.EXT4,
                Mkfs.Options.defaults().withUuid("1-2-3-4-5")));
        assertThrows(IllegalArgumentException.class, () -> Mkfs.command(device, Mkfs.Filesystem.VFAT,
                Mkfs.Options.defaults().withUuid(UUID)));
    }

    private Path sparseFile(String name, long size) throws IOException {
        Path file = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    /** What blkid probes on the file: an independent witness for the test; the library never runs blkid. */
    private static Map<String, String> blkid(Path image) {
        CommandResult result = CommandRunner.create().run(List.of("blkid", "-p", "-o", "export", image.toString()));
        return result.stdoutLines().stream().filter(line -> line.contains("="))
                .collect(Collectors.toMap(line -> line.substring(0, line.indexOf('=')),
                        line -> unescape(line.substring(line.indexOf('=') + 1)), (a, b) -> b));
    }

    /** blkid's export format escapes characters the shell would split on with a backslash. */
    private static String unescape(String value) {
        return value.replaceAll("\\\\(.)", "$1");
    }
}
