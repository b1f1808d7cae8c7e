package org.libstorage.backends.dir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.libstorage.VolumeFormat;

/**
 * What a file's first bytes say it is, read in Java from the image header instead of spawning
 * {@code qemu-img info} per file. Recognised: qcow2 (and its predecessor qcow), qed, vmdk, vdi,
 * vpc, vhdx, luks and iso; anything else is raw. The result only describes a file: nothing
 * that creates or converts an image trusts it to name a format a guest may have forged.
 *
 * @param virtualSize the guest-visible size the header declares, when the format has one there
 * @param version     the format's header version (qcow2: 2 or 3)
 * @param compat      the qcow2 compat level libvirt reports ({@code 0.10} for v2, {@code 1.1} for v3)
 * @param backingFile the backing file name exactly as recorded (relative names are relative to
 *                    the image's directory)
 * @param clusterSize the qcow2 cluster size in bytes
 */
public record ImageHeader(VolumeFormat format, OptionalLong virtualSize, OptionalInt version,
                          Optional<String> compat, Optional<String> backingFile, Optional<String> backingFormat,
                          OptionalLong clusterSize) {

    /** How many bytes from offset 0 {@link #probe} wants to see; fewer are fine for small files. */
    public static final int PROBE_BYTES = 4096;
    /** Files shorter than this hold no image header worth reading: they are raw. */
    public static final int MIN_IMAGE_BYTES = 512;

    static final long ISO_MAGIC_OFFSET = 32769;
    private static final byte[] ISO_MAGIC = ascii("CD001");
    private static final int QCOW_MAGIC = 0x514649fb; // "QFI\xfb", big-endian
    private static final int QCOW2_BACKING_FORMAT_EXTENSION = 0xe2792aca;
    private static final int QCOW2_V2_HEADER_LENGTH = 72;
    private static final int QCOW2_MAX_BACKING_NAME = 1023; // qemu's own limit
    private static final int QED_MAGIC = 0x00444551; // "QED\0", little-endian
    private static final long QED_FEATURE_BACKING_FILE = 1;
    private static final long QED_FEATURE_BACKING_FORMAT_NO_PROBE = 4;
    private static final int VMDK_MAGIC = 0x564d444b; // "KDMV", little-endian
    private static final byte[] VMDK_DESCRIPTOR = ascii("# Disk DescriptorFile");
    private static final int VDI_MAGIC = 0xbeda107f;
    private static final byte[] VPC_MAGIC = ascii("conectix");
    private static final byte[] VHDX_MAGIC = ascii("vhdxfile");
    private static final byte[] LUKS_MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};

    public ImageHeader {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(virtualSize, "virtualSize");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(compat, "compat");
        Objects.requireNonNull(backingFile, "backingFile");
        Objects.requireNonNull(backingFormat, "backingFormat");
        Objects.requireNonNull(clusterSize, "clusterSize");
    }

    /** A file with no recognised header. */
    public static final ImageHeader RAW = of(VolumeFormat.RAW);

    static ImageHeader of(VolumeFormat format) {
        return new ImageHeader(format, OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), OptionalLong.empty());
    }

    /** Reads {@code length} bytes at {@code offset} of the file being probed; fewer at its end. */
    @FunctionalInterface
    public interface Reader {
        ByteBuffer read(long offset, int length);
    }

    /**
     * Detects a file's format.
     *
     * @param head     the file's first bytes (up to {@link #PROBE_BYTES}), position 0 to limit
     * @param fileSize the file's size, to know whether further reads can find anything
     * @param more     reads further bytes: the iso magic at 32 KiB, a qcow2 backing name past the head
     */
    public static ImageHeader probe(ByteBuffer head, long fileSize, Reader more) {
        ByteBuffer be = head.duplicate().order(ByteOrder.BIG_ENDIAN);
        ByteBuffer le = head.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = head.limit();
        if (n >= 32 && be.getInt(0) == QCOW_MAGIC) {
            int version = be.getInt(4);
            return version >= 2 ? qcow2(be, version, more) : qcow(be);
        }
        if (n >= 64 && le.getInt(0) == QED_MAGIC) {
            return qed(le, more);
        }
        if (n >= 20 && le.getInt(0) == VMDK_MAGIC) {
            return sized(new VolumeFormat("vmdk"), le.getLong(12), 512);
        }
        if (startsWith(head, 0, VMDK_DESCRIPTOR)) {
            return of(new VolumeFormat("vmdk"));
        }
        if (n >= 0x178 && le.getInt(0x40) == VDI_MAGIC) {
            return sized(new VolumeFormat("vdi"), le.getLong(0x170), 1);
        }
        if (n >= 0x38 && startsWith(head, 0, VPC_MAGIC)) {
            return sized(new VolumeFormat("vpc"), be.getLong(0x30), 1);
        }
        if (startsWith(head, 0, VHDX_MAGIC)) {
            return of(new VolumeFormat("vhdx")); // its size lives in a metadata region: left to qemu-img
        }
        if (startsWith(head, 0, LUKS_MAGIC)) {
            return of(new VolumeFormat("luks"));
        }
        if (fileSize >= ISO_MAGIC_OFFSET + ISO_MAGIC.length) {
            ByteBuffer iso = more.read(ISO_MAGIC_OFFSET, ISO_MAGIC.length);
            if (iso.remaining() >= ISO_MAGIC.length && startsWith(iso, iso.position(), ISO_MAGIC)) {
                return of(VolumeFormat.ISO);
            }
        }
        return RAW;
    }

    private static ImageHeader qcow2(ByteBuffer be, int version, Reader more) {
        long backingOffset = be.getLong(8);
        int backingLength = be.getInt(16);
        long size = be.getLong(24);
        int clusterBits = be.getInt(20);
        int limit = be.limit();
        Optional<String> backingFormat = Optional.empty();
        int headerLength = version >= 3 && limit >= 104 ? be.getInt(100) : QCOW2_V2_HEADER_LENGTH;
        // Header extensions follow the header, up to the end of the first cluster: walk those we hold.
        long offset = headerLength;
        while (offset >= 0 && offset + 8 <= limit) {
            int type = be.getInt((int) offset);
            long length = Integer.toUnsignedLong(be.getInt((int) offset + 4));
            if (type == 0) {
                break;
            }
            if (type == QCOW2_BACKING_FORMAT_EXTENSION && offset + 8 + length <= limit) {
                backingFormat = Optional.of(string(be, (int) offset + 8, (int) length)).filter(s -> !s.isEmpty());
            }
            offset += 8 + ((length + 7) & ~7L);
        }
        Optional<String> backingFile = Optional.empty();
        if (backingOffset > 0 && backingLength > 0 && backingLength <= QCOW2_MAX_BACKING_NAME) {
            backingFile = Optional.of(stringAt(be, backingOffset, backingLength, more)).filter(s -> !s.isEmpty());
        }
        return new ImageHeader(VolumeFormat.QCOW2, size >= 0 ? OptionalLong.of(size) : OptionalLong.empty(),
                OptionalInt.of(version), Optional.of(version == 2 ? "0.10" : "1.1"), backingFile,
                backingFile.isPresent() ? backingFormat : Optional.empty(),
                clusterBits >= 9 && clusterBits <= 21 ? OptionalLong.of(1L << clusterBits) : OptionalLong.empty());
    }

    private static ImageHeader qcow(ByteBuffer be) {
        long size = be.getLong(24);
        return new ImageHeader(new VolumeFormat("qcow"), size >= 0 ? OptionalLong.of(size) : OptionalLong.empty(),
                OptionalInt.of(be.getInt(4)), Optional.empty(), Optional.empty(), Optional.empty(), OptionalLong.empty());
    }

    private static ImageHeader qed(ByteBuffer le, Reader more) {
        long features = le.getLong(16);
        long size = le.getLong(48);
        long backingOffset = Integer.toUnsignedLong(le.getInt(56));
        int backingLength = le.getInt(60);
        Optional<String> backingFile = Optional.empty();
        if ((features & QED_FEATURE_BACKING_FILE) != 0 && backingLength > 0 && backingLength <= QCOW2_MAX_BACKING_NAME) {
            backingFile = Optional.of(stringAt(le, backingOffset, backingLength, more)).filter(s -> !s.isEmpty());
        }
        Optional<String> backingFormat = backingFile.isPresent() && (features & QED_FEATURE_BACKING_FORMAT_NO_PROBE) != 0
                ? Optional.of("raw") : Optional.empty();
        return new ImageHeader(new VolumeFormat("qed"), size >= 0 ? OptionalLong.of(size) : OptionalLong.empty(),
                OptionalInt.empty(), Optional.empty(), backingFile, backingFormat, OptionalLong.empty());
    }

    private static ImageHeader sized(VolumeFormat format, long units, long unitBytes) {
        OptionalLong size = units >= 0 && units <= Long.MAX_VALUE / unitBytes
                ? OptionalLong.of(units * unitBytes) : OptionalLong.empty();
        return new ImageHeader(format, size, OptionalInt.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                OptionalLong.empty());
    }

    /** A string at a file offset: from the head when it holds it, else read through {@code more}. */
    private static String stringAt(ByteBuffer head, long offset, int length, Reader more) {
        if (offset + length <= head.limit()) {
            return string(head, (int) offset, length);
        }
        ByteBuffer far = more.read(offset, length);
        return string(far, far.position(), Math.min(length, far.remaining()));
    }

    private static String string(ByteBuffer buffer, int offset, int length) {
        byte[] bytes = new byte[length];
        buffer.get(offset, bytes);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    private static boolean startsWith(ByteBuffer buffer, int offset, byte[] magic) {
        if (buffer.limit() - offset < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (buffer.get(offset + i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
