package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.libstorage.VolumeFormat;

/** Format detection from header bytes alone, without qemu-img. */
class ImageHeaderTest {
    private static final ImageHeader.Reader NOTHING_MORE = (offset, length) -> ByteBuffer.allocate(0);

    /** A qcow2 v3 header with a backing file name and, when asked, a backing-format extension. */
    static ByteBuffer qcow2(long size, String backing, String backingFormat, int backingOffset) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0, 0x514649fb).putInt(4, 3);
        b.putLong(8, backingOffset).putInt(16, backing.length());
        b.putInt(20, 16).putLong(24, size);
        b.putInt(100, 104); // header length
        int ext = 104;
        if (backingFormat != null) {
            b.putInt(ext, 0xe2792aca).putInt(ext + 4, backingFormat.length());
            b.put(ext + 8, backingFormat.getBytes(StandardCharsets.US_ASCII));
            ext += 8 + ((backingFormat.length() + 7) & ~7);
        }
        b.putInt(ext, 0).putInt(ext + 4, 0);
        if (backingOffset > 0 && backingOffset < 4096) {
            b.put(backingOffset, backing.getBytes(StandardCharsets.UTF_8));
        }
        return b;
    }

    @Test
    void qcow2HeaderGivesVersionSizeBackingFileAndItsFormat() {
        ImageHeader h = ImageHeader.probe(qcow2(10L << 30, "../base.img", "raw", 512), 200_000, NOTHING_MORE);
        assertEquals(VolumeFormat.QCOW2, h.format());
        assertEquals(OptionalLong.of(10L << 30), h.virtualSize());
        assertEquals(OptionalInt.of(3), h.version());
        assertEquals(Optional.of("1.1"), h.compat());
        assertEquals(Optional.of("../base.img"), h.backingFile());
        assertEquals(Optional.of("raw"), h.backingFormat());
    }

    @Test
    void aBackingNameBeyondTheFirstBytesIsReadSeparately() {
        ByteBuffer head = qcow2(1 << 20, "far-away.qcow2", null, 70_000);
        ImageHeader h = ImageHeader.probe(head, 200_000, (offset, length) -> {
            assertEquals(70_000, offset);
            return ByteBuffer.wrap("far-away.qcow2".getBytes(StandardCharsets.UTF_8));
        });
        assertEquals(Optional.of("far-away.qcow2"), h.backingFile());
        assertEquals(Optional.empty(), h.backingFormat());
    }

    @Test
    void anIsoIsRecognisedByItsVolumeDescriptorAt32KiB() {
        ImageHeader h = ImageHeader.probe(ByteBuffer.allocate(4096), 1 << 20, (offset, length) -> {
            if (offset != 32769) {
                fail("read at " + offset);
            }
            return ByteBuffer.wrap("CD001".getBytes(StandardCharsets.US_ASCII));
        });
        assertEquals(VolumeFormat.ISO, h.format());
    }

    @Test
    void zerosAreRawAndASmallFileIsNotAskedForMore() {
        assertEquals(ImageHeader.RAW, ImageHeader.probe(ByteBuffer.allocate(4096), 1 << 20,
                (offset, length) -> ByteBuffer.allocate(length)));
        assertEquals(ImageHeader.RAW, ImageHeader.probe(ByteBuffer.allocate(600), 600, (offset, length) -> {
            throw new AssertionError("a 600-byte file holds nothing at 32 KiB");
        }));
    }

    @Test
    void vpcAndVdiSizesComeFromTheirHeaders() {
        ByteBuffer vpc = ByteBuffer.allocate(512).order(ByteOrder.BIG_ENDIAN);
        vpc.put(0, "conectix".getBytes(StandardCharsets.US_ASCII)).putLong(0x30, 123456789L);
        assertEquals(OptionalLong.of(123456789L), ImageHeader.probe(vpc, 1 << 20, NOTHING_MORE).virtualSize());

        ByteBuffer vdi = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        vdi.putInt(0x40, 0xbeda107f).putLong(0x170, 64L << 20);
        ImageHeader h = ImageHeader.probe(vdi, 1 << 20, NOTHING_MORE);
        assertEquals(new VolumeFormat("vdi"), h.format());
        assertEquals(OptionalLong.of(64L << 20), h.virtualSize());
    }

    @Test
    void aTruncatedOrHostileHeaderDoesNotThrow() {
        ByteBuffer b = qcow2(-1, "x", null, 0);
        b.putInt(100, Integer.MAX_VALUE); // extensions "start" far away
        b.putInt(16, 5000); // backing name longer than qemu allows
        ImageHeader h = ImageHeader.probe(b.limit(120), 120, NOTHING_MORE);
        assertEquals(VolumeFormat.QCOW2, h.format());
        assertEquals(OptionalLong.empty(), h.virtualSize());
        assertEquals(Optional.empty(), h.backingFile());
    }
}
