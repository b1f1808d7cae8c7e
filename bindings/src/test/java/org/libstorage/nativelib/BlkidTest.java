package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.testing.Requirements;

/** Integration: the real libblkid on image files made with mkfs and sfdisk (no root needed). */
class BlkidTest {
    private static final long MIB = 1L << 20;
    private final Libc libc = Libc.instance();
    private final Blkid blkid = Blkid.instance();

    @TempDir
    Path dir;

    @BeforeEach
    void needsLibblkid() {
        Requirements.require(blkid.isAvailable(), "libblkid.so.1 (Debian libblkid1): " + blkid.unavailableReason());
    }

    @Test
    void probeOfAnExt4ImageReportsTheTypeAndTheUuidBlkidSees() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        Path image = sparseImage("ext4.img", 32 * MIB);
        Integration.run("mkfs.ext4", "-F", "-q", "-L", "scratch", image.toString());
        String uuid = Integration.run("blkid", "-p", "-s", "UUID", "-o", "value", image.toString()).strip();

        Blkid.Probe probe = blkid.probe(image);

        assertEquals(Optional.of("ext4"), probe.type());
        assertEquals(Optional.of("filesystem"), probe.usage());
        assertEquals(Optional.of(uuid), probe.uuid());
        assertEquals(Optional.of("scratch"), probe.label());
        assertTrue(probe.version().isPresent(), "ext4 reports its version: " + probe.values());
        assertEquals(32 * MIB, probe.size());
        assertTrue(probe.partitionTable().isEmpty());
        assertTrue(probe.partitions().isEmpty());
        assertFalse(probe.isEmpty());
        assertEquals(List.of("ext4"), blkid.signatures(image).stream().map(Blkid.Signature::type).toList());
    }

    @Test
    void probeOfAGptImageListsItsPartitions() throws Exception {
        Requirements.require(Requirements.hasCommand("sfdisk"), "sfdisk (Debian fdisk)");
        Path image = sparseImage("gpt.img", 64 * MIB);
        Integration.run("sh", "-c", "printf '%s\\n' 'label: gpt' "
                + "'start=2048, size=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=data' "
                + "'start=22528, size=40960, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, name=lvm' "
                + "| sfdisk -q " + image);
        String ptuuid = Integration.run("blkid", "-p", "-s", "PTUUID", "-o", "value", image.toString()).strip();

        Blkid.Probe probe = blkid.probe(image);

        assertEquals(Optional.of("gpt"), probe.partitionTableType());
        assertEquals(Optional.of(ptuuid), probe.partitionTableUuid());
        Blkid.PartitionTable table = probe.partitionTable().orElseThrow();
        assertEquals("gpt", table.type());
        assertEquals(Optional.of(ptuuid), table.id());
        assertEquals(512, table.offset(), "the primary GPT header is in sector 1");

        assertEquals(2, probe.partitions().size());
        Blkid.Partition data = probe.partitions().get(0);
        assertEquals(1, data.number());
        assertEquals(2048 * 512L, data.startBytes());
        assertEquals(20480 * 512L, data.sizeBytes());
        assertEquals(Optional.of("0fc63daf-8483-4772-8e79-3d69d8477de4"), data.typeString());
        assertEquals(Optional.of("data"), data.name());
        assertTrue(data.uuid().isPresent());
        Blkid.Partition lvm = probe.partitions().get(1);
        assertEquals(2, lvm.number());
        assertEquals(22528 * 512L, lvm.startBytes());
        assertEquals(Optional.of("lvm"), lvm.name());
    }

    @Test
    void signaturesListThePartitionTablesAndWipeRemovesThem() throws Exception {
        Requirements.require(Requirements.hasCommand("sfdisk"), "sfdisk (Debian fdisk)");
        Path image = sparseImage("wipe.img", 16 * MIB);
        Integration.run("sh", "-c", "printf 'label: gpt\\nstart=2048, size=4096\\n' | sfdisk -q " + image);

        List<Blkid.Signature> before = blkid.signatures(image);
        // What `wipefs` lists: both GPT headers ("EFI PART") and the protective MBR's 55aa.
        assertEquals(Set.of("gpt@512:4546492050415254", "gpt@" + (16 * MIB - 512) + ":4546492050415254",
                        "PMBR@510:55aa"),
                before.stream().map(s -> s.type() + "@" + s.offset() + ":" + s.magic()).collect(Collectors.toSet()));
        assertTrue(before.stream().allMatch(Blkid.Signature::isPartitionTable));

        List<Blkid.Signature> wiped = blkid.wipeSignatures(image);

        assertEquals(before.size(), wiped.size(), "wiped " + wiped);
        assertEquals(List.of(), blkid.signatures(image));
        assertTrue(blkid.probe(image).isEmpty());
        assertEquals(16 * MIB, libc.statx(image, true).size(), "wiping keeps the image's size");
    }

    @Test
    void wipeOfAFilesystemLeavesNothingToProbe() throws Exception {
        Requirements.require(Requirements.hasCommand("mkfs.xfs"), "mkfs.xfs (Debian xfsprogs)");
        Path image = sparseImage("xfs.img", 300 * MIB);
        Integration.run("mkfs.xfs", "-f", "-q", image.toString());
        assertEquals(Optional.of("xfs"), blkid.probe(image).type());

        List<Blkid.Signature> wiped = blkid.wipeSignatures(image);

        assertEquals(List.of("xfs"), wiped.stream().map(Blkid.Signature::type).toList());
        assertEquals("filesystem", wiped.getFirst().usage());
        assertEquals(Optional.empty(), blkid.probe(image).type());
    }

    @Test
    void aMountedBlockDeviceIsNotWipedAndAnUnmountedOneIs() throws Exception {
        Requirements.require(Requirements.isRoot() && Files.exists(Path.of("/dev/loop-control")),
                "root and /dev/loop-control to attach loop devices");
        Requirements.require(Requirements.hasCommand("mkfs.ext4"), "mkfs.ext4 (Debian e2fsprogs)");
        Path image = sparseImage("busy.img", 32 * MIB);
        Integration.run("mkfs.ext4", "-F", "-q", image.toString());
        Path mountPoint = Files.createDirectory(dir.resolve("mnt"));
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            Blkid.Probe probe = blkid.probe(loop.path());
            assertEquals(Optional.of("ext4"), probe.type());
            assertEquals(32 * MIB, probe.size());
            Blkid.Topology topology = blkid.topology(loop.path());
            assertEquals(512, topology.logicalSectorSize());
            assertTrue(topology.physicalSectorSize() >= 512);

            Integration.run("mount", "-t", "ext4", loop.path().toString(), mountPoint.toString());
            try {
                NativeCallException e = assertThrows(NativeCallException.class, () -> blkid.wipeSignatures(loop.path()));
                assertEquals("open", e.function());
                assertEquals("EBUSY", e.errnoName(), "O_EXCL refuses a mounted device");
            } finally {
                Integration.runQuietly("umount", mountPoint.toString());
            }

            assertEquals(List.of("ext4"), blkid.wipeSignatures(loop.path()).stream().map(Blkid.Signature::type).toList());
            assertTrue(blkid.probe(loop.path()).isEmpty());
        }
    }

    @Test
    void anEmptyImageHoldsNothing() throws Exception {
        Path image = sparseImage("empty.img", 4 * MIB);
        Blkid.Probe probe = blkid.probe(image);
        assertTrue(probe.isEmpty());
        assertEquals(Optional.empty(), probe.type());
        assertEquals(List.of(), blkid.signatures(image));
    }

    @Test
    void probingAMissingFileNamesTheFunctionAndErrno() {
        NativeCallException e = assertThrows(NativeCallException.class, () -> blkid.probe(dir.resolve("absent.img")));
        assertEquals("libblkid.so.1", e.library());
        assertEquals("blkid_new_probe_from_filename", e.function());
        assertEquals("ENOENT", e.errnoName());
    }

    @Test
    void knowsFilesystemAndPartitionTableNames() {
        assertTrue(blkid.knownFilesystemType("ext4"));
        assertTrue(blkid.knownFilesystemType("xfs"));
        assertFalse(blkid.knownFilesystemType("nosuchfs"));
        assertTrue(blkid.knownPartitionTableType("gpt"));
        assertFalse(blkid.knownPartitionTableType("nosuchtable"));
        assertTrue(blkid.libraryVersion().matches("2\\.\\d+(\\.\\d+)?.*"), blkid.libraryVersion());
    }

    @Test
    void anUnavailableLibraryReportsItselfAndRefusesWork() {
        Blkid missing = new Blkid(NativeLibrary.probe("libblkid", "libblkid-notthere.so.9", "libblkid1"));
        assertFalse(missing.isAvailable());
        assertTrue(missing.unavailableReason().orElseThrow().contains("libblkid1"));
        LibraryUnavailableException e = assertThrows(LibraryUnavailableException.class, () -> missing.probe(dir));
        assertEquals("libblkid-notthere.so.9", e.soname());
        assertEquals("libblkid1", e.debianPackage());
        assertThrows(LibraryUnavailableException.class, () -> missing.knownFilesystemType("ext4"));
    }

    private Path sparseImage(String name, long size) {
        Path image = dir.resolve(name);
        try (Fd fd = libc.open(image, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL, 0600)) {
            libc.ftruncate(fd, size);
        }
        return image;
    }
}
