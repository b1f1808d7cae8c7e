package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuImgTest {
    private static final long MiB = 1024 * 1024;

    @TempDir
    Path dir;

    private final QemuImg qemuImg = new QemuImg(CommandRunner.create());

    @BeforeEach
    void needsQemuImg() {
        RequiredTools.require("qemu-img");
    }

    @Test
    void createsARawImageOfTheAskedSize() {
        Path image = dir.resolve("disk.raw");

        qemuImg.create(image, "raw", 10 * MiB);

        QemuImg.ImageInfo info = qemuImg.info(image, Optional.of("raw"));
        assertEquals("raw", info.format());
        assertEquals(10 * MiB, info.virtualSize());
        assertTrue(info.backingFilename().isEmpty());
    }

    @Test
    void createsAQcow2ImageWithOptions() {
        Path image = dir.resolve("disk.qcow2");

        qemuImg.create(image, "qcow2", 64 * MiB, Optional.empty(), Optional.empty(),
                QemuImg.CreateOptions.defaults().withClusterSize(128 * 1024).withCompat("1.1")
                        .withPreallocation("metadata"));

        QemuImg.ImageInfo info = qemuImg.info(image);
        assertAll(
                () -> assertEquals("qcow2", info.format()),
                () -> assertEquals(64 * MiB, info.virtualSize()),
                () -> assertEquals(OptionalLong.of(128 * 1024), info.clusterSize()),
                () -> assertEquals(Optional.of("1.1"), info.compat()),
                () -> assertFalse(info.dirty()),
                () -> assertFalse(info.corrupt()));
    }

    @Test
    void createsAQcow2OverlayOnABackingFile() {
        Path base = dir.resolve("base.raw");
        Path overlay = dir.resolve("overlay.qcow2");
        qemuImg.create(base, "raw", 8 * MiB);

        qemuImg.create(overlay, "qcow2", 0, Optional.of(base), Optional.of("raw"), QemuImg.CreateOptions.defaults());

        QemuImg.ImageInfo info = qemuImg.info(overlay, Optional.of("qcow2"));
        assertAll(
                () -> assertEquals(8 * MiB, info.virtualSize(), "capacity 0 takes the backing file's size"),
                () -> assertEquals(Optional.of(base.toString()), info.backingFilename()),
                () -> assertEquals(Optional.of(base.toString()), info.fullBackingFilename()),
                () -> assertEquals(Optional.of("raw"), info.backingFilenameFormat()));
    }

    @Test
    void relativeBackingFileIsRecordedAsGiven() {
        qemuImg.create(dir.resolve("base.qcow2"), "qcow2", 4 * MiB);
        Path overlay = dir.resolve("overlay.qcow2");

        qemuImg.create(overlay, "qcow2", 16 * MiB, Optional.of(Path.of("base.qcow2")), Optional.of("qcow2"),
                QemuImg.CreateOptions.defaults());

        QemuImg.ImageInfo info = qemuImg.info(overlay);
        assertEquals(16 * MiB, info.virtualSize());
        assertEquals(Optional.of("base.qcow2"), info.backingFilename());
        assertEquals(Optional.of(dir.resolve("base.qcow2").toString()), info.fullBackingFilename());
    }

    @Test
    void failedCreateLeavesNoFileBehind() {
        Path overlay = dir.resolve("orphan.qcow2");

        CommandException e = assertThrows(CommandException.class, () -> qemuImg.create(overlay, "qcow2", 0,
                Optional.of(dir.resolve("missing.raw")), Optional.of("raw"), QemuImg.CreateOptions.defaults()));

        assertEquals(CommandException.Reason.EXIT_STATUS, e.reason());
        assertTrue(e.getMessage().startsWith("qemu-img create -q -f qcow2 -b "), e.getMessage());
        assertFalse(Files.exists(overlay));
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsCreated() {
        Path image = dir.resolve("never.img");

        assertThrows(IllegalArgumentException.class, () -> qemuImg.create(image, "-o", MiB));
        assertThrows(IllegalArgumentException.class, () -> qemuImg.create(image, "raw", -1));
        assertThrows(IllegalArgumentException.class, () -> qemuImg.create(image, "qcow2", MiB,
                Optional.of(dir.resolve("base")), Optional.empty(), QemuImg.CreateOptions.defaults()));
        assertThrows(IllegalArgumentException.class, () -> QemuImg.CreateOptions.defaults().withClusterSize(3000));
        assertThrows(IllegalArgumentException.class, () -> QemuImg.CreateOptions.defaults().withPreallocation("x,y=z"));
        assertFalse(Files.exists(image));
    }

    @Test
    void infoOfAMissingFileFailsWithQemuImgsReason() {
        CommandException e = assertThrows(CommandException.class, () -> qemuImg.info(dir.resolve("absent.qcow2")));

        assertEquals(CommandException.Reason.EXIT_STATUS, e.reason());
        assertTrue(e.stderr().contains("No such file or directory"), e.stderr());
    }

    @Test
    void convertingRawToQcow2AndBackKeepsEveryByte() throws IOException {
        Path raw = dir.resolve("original.raw");
        qemuImg.create(raw, "raw", 16 * MiB);
        byte[] pattern = pattern(300_000);
        writeAt(raw, 0, pattern);
        writeAt(raw, 5 * MiB + 123, pattern);
        writeAt(raw, 16 * MiB - 4096, new byte[] {1, 2, 3, 4});
        Path qcow2 = dir.resolve("converted.qcow2");
        Path back = dir.resolve("back.raw");
        List<Double> progress = new CopyOnWriteArrayList<>();

        qemuImg.convert(raw, "raw", qcow2, "qcow2", progress::add);
        qemuImg.convert(qcow2, "qcow2", back, "raw", percent -> { });

        assertEquals("qcow2", qemuImg.info(qcow2).format());
        assertArrayEquals(Files.readAllBytes(raw), Files.readAllBytes(back));
        assertFalse(progress.isEmpty());
        assertEquals(100.0, progress.getLast());
    }

    @Test
    void convertIntoAnExistingTargetWritesInPlace() throws IOException {
        Path source = dir.resolve("source.qcow2");
        Path target = dir.resolve("target.raw");
        qemuImg.create(source, "qcow2", 2 * MiB);
        qemuImg.create(target, "raw", 2 * MiB);
        writeAt(target, 0, pattern(1000));

        qemuImg.convert(source, "qcow2", target, "raw", QemuImg.ConvertOptions.defaults().intoExistingTarget()
                .withSparseSize(0), percent -> { });

        assertArrayEquals(new byte[2 * (int) MiB], Files.readAllBytes(target));
    }

    @Test
    void failedConvertRemovesTheTargetItCreated() {
        Path target = dir.resolve("target.qcow2");

        assertThrows(CommandException.class, () -> qemuImg.convert(dir.resolve("absent.raw"), "raw", target, "qcow2",
                percent -> { }));

        assertFalse(Files.exists(target));
    }

    @Test
    void resizeGrowsAndShrinksOnlyWhenAsked() {
        Path qcow2 = dir.resolve("grow.qcow2");
        Path raw = dir.resolve("grow.raw");
        qemuImg.create(qcow2, "qcow2", 4 * MiB);
        qemuImg.create(raw, "raw", 4 * MiB);

        qemuImg.resize(qcow2, "qcow2", 12 * MiB, false);
        qemuImg.resize(raw, "raw", 12 * MiB, false);

        assertEquals(12 * MiB, qemuImg.info(qcow2).virtualSize());
        assertEquals(12 * MiB, qemuImg.info(raw, Optional.of("raw")).virtualSize());

        CommandException refused = assertThrows(CommandException.class,
                () -> qemuImg.resize(qcow2, "qcow2", 2 * MiB, false));
        assertEquals(CommandException.Reason.EXIT_STATUS, refused.reason());
        assertEquals(12 * MiB, qemuImg.info(qcow2).virtualSize());

        qemuImg.resize(qcow2, "qcow2", 2 * MiB, true);
        assertEquals(2 * MiB, qemuImg.info(qcow2).virtualSize());
    }

    @Test
    void checkReportsACleanQcow2AndNothingForRaw() {
        Path qcow2 = dir.resolve("check.qcow2");
        Path raw = dir.resolve("check.raw");
        qemuImg.create(qcow2, "qcow2", 4 * MiB);
        qemuImg.create(raw, "raw", 4 * MiB);

        QemuImg.CheckResult result = qemuImg.check(qcow2, "qcow2").orElseThrow();

        assertTrue(result.clean(), result.toString());
        assertTrue(result.imageEndOffset().isPresent());
        assertEquals(Optional.empty(), qemuImg.check(raw, "raw"));
    }

    @Test
    void versionIsDotted() {
        assertTrue(qemuImg.version().matches("\\d+\\.\\d+(\\.\\d+)?.*"), qemuImg.version());
    }

    private static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 8) + 7);
        }
        return bytes;
    }

    private static void writeAt(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), offset);
        }
    }
}
