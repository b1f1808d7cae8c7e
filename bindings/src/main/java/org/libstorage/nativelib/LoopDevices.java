package org.libstorage.nativelib;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.libstorage.bindings.libc.libc_h;
import org.libstorage.bindings.libc.loop_config;
import org.libstorage.bindings.libc.loop_info64;

/**
 * Loop devices through the kernel's ioctls ({@code /dev/loop-control}, {@code LOOP_CONFIGURE}),
 * without spawning {@code losetup}. Needs root (CAP_SYS_ADMIN).
 *
 * <p>Partition scanning is always asked for, but partition nodes appear only if the kernel
 * was built with the table's parser ({@code CONFIG_EFI_PARTITION}, {@code CONFIG_MSDOS_PARTITION}).
 * Where it was not, {@link #addPartitionNodes} adds them through {@code BLKPG}, and
 * {@link #attach(Path, long, long, boolean)} reaches a partition by its byte range.
 */
public final class LoopDevices {
    public static final int LO_FLAGS_READ_ONLY = libc_h.LO_FLAGS_READ_ONLY();
    public static final int LO_FLAGS_AUTOCLEAR = libc_h.LO_FLAGS_AUTOCLEAR();
    public static final int LO_FLAGS_PARTSCAN = libc_h.LO_FLAGS_PARTSCAN();
    public static final int LO_FLAGS_DIRECT_IO = libc_h.LO_FLAGS_DIRECT_IO();

    private static final Path LOOP_CONTROL = Path.of("/dev/loop-control");
    /** Another process may take the free device between GET_FREE and CONFIGURE; try again this often. */
    private static final int ATTACH_ATTEMPTS = 16;

    private LoopDevices() {
    }

    static Path devicePath(int number) {
        return Path.of("/dev/loop" + number);
    }

    /** The number of a free loop device, creating one if none is free ({@code LOOP_CTL_GET_FREE}). */
    public static int getFree() {
        Libc libc = Libc.instance();
        try (Fd control = libc.open(LOOP_CONTROL, Libc.O_RDWR, 0)) {
            return libc.ioctlWithValue("ioctl(LOOP_CTL_GET_FREE)", control, libc_h.LOOP_CTL_GET_FREE(), 0);
        }
    }

    /**
     * Attaches {@code backingFile} to a free loop device with partition scanning, so its
     * partitions appear as {@code /dev/loopNpM}.
     */
    public static LoopDevice attach(Path backingFile, boolean readOnly) {
        return attach(backingFile, 0, 0, readOnly);
    }

    /**
     * Attaches the byte range {@code [offset, offset + sizeLimit)} of {@code backingFile}
     * ({@code sizeLimit} 0: to the end of the file), with partition scanning. A range is how to
     * reach one partition of an image on kernels built without partition-table parsers, where
     * no {@code /dev/loopNpM} nodes appear.
     */
    public static LoopDevice attach(Path backingFile, long offset, long sizeLimit, boolean readOnly) {
        Objects.requireNonNull(backingFile, "backingFile");
        if (offset < 0 || sizeLimit < 0) {
            throw new IllegalArgumentException("loop offset and size limit must not be negative: "
                    + offset + ", " + sizeLimit);
        }
        Libc libc = Libc.instance();
        Path absolute = backingFile.toAbsolutePath();
        try (Fd file = libc.open(absolute, readOnly ? Libc.O_RDONLY : Libc.O_RDWR, 0)) {
            NativeCallException lastBusy = null;
            for (int attempt = 0; attempt < ATTACH_ATTEMPTS; attempt++) {
                int number = getFree();
                try (Fd loop = libc.open(devicePath(number), Libc.O_RDWR, 0)) {
                    configure(libc, loop, file, absolute, offset, sizeLimit, readOnly);
                    return new LoopDevice(number, absolute);
                } catch (NativeCallException e) {
                    if (e.errno() != Libc.EBUSY) {
                        throw e;
                    }
                    lastBusy = e;
                }
            }
            throw lastBusy;
        }
    }

    private static void configure(Libc libc, Fd loop, Fd file, Path backingFile, long offset, long sizeLimit,
                                  boolean readOnly) {
        int flags = LO_FLAGS_PARTSCAN | (readOnly ? LO_FLAGS_READ_ONLY : 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(loop_config.layout());
            loop_config.fd(config, file.value());
            MemorySegment info = loop_config.info(config);
            fillInfo(info, backingFile, offset, sizeLimit, flags);
            try {
                libc.ioctlWithPointer(arena, "ioctl(LOOP_CONFIGURE)", loop, libc_h.LOOP_CONFIGURE(), config);
                return;
            } catch (NativeCallException e) {
                // Kernels before 5.8 lack LOOP_CONFIGURE; they answer EINVAL or ENOTTY.
                if (e.errno() != Libc.EINVAL && e.errno() != Libc.ENOTTY) {
                    throw e;
                }
            }
            libc.ioctlWithValue("ioctl(LOOP_SET_FD)", loop, libc_h.LOOP_SET_FD(), file.value());
            MemorySegment status = arena.allocate(loop_info64.layout());
            fillInfo(status, backingFile, offset, sizeLimit, flags);
            try {
                libc.ioctlWithPointer(arena, "ioctl(LOOP_SET_STATUS64)", loop, libc_h.LOOP_SET_STATUS64(), status);
            } catch (NativeCallException e) {
                libc.ioctlWithValue("ioctl(LOOP_CLR_FD)", loop, libc_h.LOOP_CLR_FD(), 0);
                throw e;
            }
        }
    }

    private static void fillInfo(MemorySegment info, Path backingFile, long offset, long sizeLimit, int flags) {
        loop_info64.lo_offset(info, offset);
        loop_info64.lo_sizelimit(info, sizeLimit);
        loop_info64.lo_flags(info, flags);
        byte[] name = backingFile.toString().getBytes(StandardCharsets.UTF_8);
        MemorySegment field = loop_info64.lo_file_name(info);
        int length = (int) Math.min(name.length, field.byteSize() - 1);
        MemorySegment.copy(name, 0, field, ValueLayout.JAVA_BYTE, 0, length);
    }

    /**
     * Makes sure every partition in the device's partition table has its {@code /dev/loopNpM}
     * node, adding missing ones with {@code BLKPG} as {@code partx --add} does (partition
     * scanning alone creates none on kernels without the table's parser). Returns the nodes.
     */
    public static List<Path> addPartitionNodes(LoopDevice loop) {
        Objects.requireNonNull(loop, "loop");
        Libc libc = Libc.instance();
        List<Path> nodes = new ArrayList<>();
        List<Blkid.Partition> partitions = Blkid.instance().probe(loop.path()).partitions();
        try (Fd disk = libc.open(loop.path(), Libc.O_RDONLY, 0)) {
            for (Blkid.Partition partition : partitions) {
                Path node = loop.partition(partition.number());
                if (!Files.exists(node)) {
                    libc.addPartition(disk, partition.number(), partition.startBytes(), partition.sizeBytes());
                }
                nodes.add(node);
            }
        }
        return List.copyOf(nodes);
    }

    /**
     * Detaches a loop device ({@code LOOP_CLR_FD}). If someone else still has it open, the
     * kernel detaches it when they close it.
     */
    public static void detach(Path device) {
        Objects.requireNonNull(device, "device");
        Libc libc = Libc.instance();
        try (Fd loop = libc.open(device, Libc.O_RDONLY, 0)) {
            libc.ioctlWithValue("ioctl(LOOP_CLR_FD)", loop, libc_h.LOOP_CLR_FD(), 0);
        }
    }

    /** What a loop device is attached to, or empty when it is free. */
    public static Optional<LoopInfo> info(Path device) {
        Objects.requireNonNull(device, "device");
        Libc libc = Libc.instance();
        try (Fd loop = libc.open(device, Libc.O_RDONLY, 0); Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(loop_info64.layout());
            try {
                libc.ioctlWithPointer(arena, "ioctl(LOOP_GET_STATUS64)", loop, libc_h.LOOP_GET_STATUS64(), status);
            } catch (NativeCallException e) {
                if (e.errno() == Libc.ENXIO) {
                    return Optional.empty();
                }
                throw e;
            }
            int number = loop_info64.lo_number(status);
            Path backing = sysfsBackingFile(device)
                    .orElseGet(() -> Path.of(loop_info64.lo_file_name(status).getString(0)));
            return Optional.of(new LoopInfo(device, number, backing,
                    loop_info64.lo_offset(status), loop_info64.lo_sizelimit(status), loop_info64.lo_flags(status),
                    loop_info64.lo_device(status), loop_info64.lo_inode(status)));
        }
    }

    private static Optional<Path> sysfsBackingFile(Path device) {
        Path file = Path.of("/sys/block", device.getFileName().toString(), "loop", "backing_file");
        try {
            String text = Files.readString(file).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(Path.of(text));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
