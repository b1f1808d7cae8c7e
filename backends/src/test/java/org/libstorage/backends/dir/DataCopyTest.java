package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libstorage.backends.dir.Pools.GIB;
import static org.libstorage.backends.dir.Pools.MIB;
import static org.libstorage.backends.dir.Pools.fails;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.Stat;
import org.libstorage.spi.PoolDriver;

/** Clones and copies on the temp directory's filesystem (ext4 here: no reflinks, so extents are copied). */
class DataCopyTest {
    private static final long SOURCE = 256 * MIB;
    @TempDir
    Path temp;
    Path target;
    PoolDriver pool;

    @BeforeEach
    void startPool() {
        target = temp.resolve("images");
        pool = Pools.started("images", target);
    }

    private Stat stat(Path file) {
        return Libc.instance().statx(file, false);
    }

    /** A 256 MiB sparse raw volume holding 1 MiB of random data every 16 MiB (16 MiB in all). */
    private VolumeDefinition sparseSource(String name) throws Exception {
        pool.createVolume(Pools.raw(name, SOURCE));
        try (FileChannel channel = FileChannel.open(target.resolve(name), StandardOpenOption.WRITE)) {
            Random random = new Random(3);
            for (long offset = 0; offset < SOURCE; offset += 16 * MIB) {
                byte[] data = new byte[(int) MIB];
                random.nextBytes(data);
                channel.write(ByteBuffer.wrap(data), offset);
            }
            channel.force(true);
        }
        return describe(name);
    }

    private VolumeDefinition describe(String name) {
        return pool.refresh().volumes().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aCloneOfASparseVolumeStaysSparseAndHasTheSameBytes() throws Exception {
        VolumeDefinition source = sparseSource("base");
        List<long[]> progress = new ArrayList<>();

        VolumeDefinition clone = pool.createVolumeFrom(Pools.raw("clone", 0), Pools.source(pool, source),
                (done, total) -> progress.add(new long[] {done, total}));

        assertEquals(SOURCE, clone.capacity());
        long allocated = stat(target.resolve("clone")).allocatedBytes();
        assertTrue(allocated >= 16 * MIB && allocated < 20 * MIB, "allocated ≈ the 16 MiB of data: " + allocated);
        assertTrue(sameContent(target.resolve("base"), target.resolve("clone")));
        assertEquals(SOURCE, progress.getLast()[0]);
        assertEquals(SOURCE, progress.getLast()[1]);
        assertTrue(progress.size() > 2, "progress along the way, not only at the end");
    }

    @Test
    void aCopyMayBeBiggerButNotSmallerThanItsSource() throws Exception {
        VolumeDefinition source = sparseSource("base");
        VolumeDefinition bigger = pool.createVolumeFrom(Pools.raw("bigger", 2 * GIB), Pools.source(pool, source), null);
        assertEquals(2 * GIB, bigger.capacity());
        fails(ErrorCode.INVALID_ARGUMENT,
                () -> pool.createVolumeFrom(Pools.raw("smaller", MIB), Pools.source(pool, source), null));
        assertFalse(Files.exists(target.resolve("smaller")));
    }

    @Test
    void cloningOntoAnExistingNameIsRefusedBeforeAnyDataMoves() throws Exception {
        VolumeDefinition source = sparseSource("base");
        pool.createVolume(Pools.raw("taken", MIB));
        fails(ErrorCode.VOLUME_EXISTS, () -> pool.createVolumeFrom(Pools.raw("taken", 0), Pools.source(pool, source), null));
        assertEquals(MIB, stat(target.resolve("taken")).size());
        assertEquals(0, stat(target.resolve("taken")).allocatedBytes());
    }

    @Test
    void anInterruptedCloneStopsWithCancelledAndLeavesNoPartialCopy() throws Exception {
        VolumeDefinition source = sparseSource("base");
        try {
            var e = fails(ErrorCode.CANCELLED, () -> pool.createVolumeFrom(Pools.raw("clone", 0), Pools.source(pool, source),
                    (done, total) -> {
                        if (done > 0) {
                            Thread.currentThread().interrupt(); // as a caller's cancel would
                        }
                    }));
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        } finally {
            Thread.interrupted();
        }
        assertFalse(Files.exists(target.resolve("clone")));
    }

    @Test
    void aSourceFromAnotherKindOfPoolIsReadThroughItsChannelSkippingZeroBlocks() throws Exception {
        VolumeDefinition source = sparseSource("base");
        // Seen as a block volume of another pool type: no path tricks, just the guest bytes.
        var blockSource = Pools.source(pool, source, PoolType.LOGICAL);

        pool.createVolumeFrom(Pools.raw("copy", 0), blockSource, null);

        assertTrue(sameContent(target.resolve("base"), target.resolve("copy")));
        long allocated = stat(target.resolve("copy")).allocatedBytes();
        assertTrue(allocated < 20 * MIB, "zero blocks stayed holes: " + allocated);
    }

    @Test
    void rawBecomesQcow2AndBackAndTheGuestBytesSurvive() throws Exception {
        Machine.requireQemuImg();
        VolumeDefinition source = sparseSource("base");

        VolumeDefinition image = pool.createVolumeFrom(Pools.qcow2("image", 0), Pools.source(pool, source), null);
        assertEquals(java.util.Optional.of(VolumeFormat.QCOW2), image.format());
        assertEquals(SOURCE, image.capacity());

        VolumeDefinition back = pool.createVolumeFrom(Pools.raw("back", 0), Pools.source(pool, image), null);
        assertEquals(java.util.Optional.of(VolumeFormat.RAW), back.format());
        assertTrue(sameContent(target.resolve("base"), target.resolve("back")));
        assertTrue(stat(target.resolve("back")).allocatedBytes() < 20 * MIB);
    }

    @Test
    void anInterruptedConversionKillsQemuImgAndLeavesNothing() throws Exception {
        Machine.requireQemuImg();
        VolumeDefinition source = sparseSource("base");
        Thread caller = Thread.currentThread();
        try {
            // qemu-img reports progress from the start; the caller is interrupted as a cancel button would.
            fails(ErrorCode.CANCELLED, () -> pool.createVolumeFrom(Pools.qcow2("image", 0), Pools.source(pool, source),
                    (done, total) -> caller.interrupt()));
        } finally {
            Thread.interrupted();
        }
        assertFalse(Files.exists(target.resolve("image")));
    }

    @Test
    void aFailedConversionLeavesNothing() throws Exception {
        Machine.requireQemuImg();
        Files.write(target.resolve("broken.qcow2"), new byte[4096]);
        VolumeDefinition broken = VolumeDefinition.builder("broken.qcow2", MIB).format(VolumeFormat.QCOW2)
                .path(target.resolve("broken.qcow2")).build();
        fails(ErrorCode.COMMAND_FAILED, () -> pool.createVolumeFrom(Pools.raw("out", MIB), Pools.source(pool, broken), null));
        assertFalse(Files.exists(target.resolve("out")));
    }

    static boolean sameContent(Path a, Path b) throws Exception {
        try (FileChannel x = FileChannel.open(a); FileChannel y = FileChannel.open(b)) {
            if (x.size() != y.size()) {
                return false;
            }
            ByteBuffer bx = ByteBuffer.allocateDirect(1 << 20);
            ByteBuffer by = ByteBuffer.allocateDirect(1 << 20);
            for (long pos = 0; pos < x.size(); pos += bx.capacity()) {
                bx.clear();
                by.clear();
                x.read(bx, pos);
                y.read(by, pos);
                if (!bx.flip().equals(by.flip())) {
                    return false;
                }
            }
            return true;
        }
    }
}
