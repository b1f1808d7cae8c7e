package org.libstorage.backends.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.fallback.ZfsCommands;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.ZfsCore;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.RequiresKernel;

/**
 * What goes wrong with ZFS, for real: a full pool, a zvol held open, names ZFS refuses, a name
 * taken behind the library's back, and the library's own error channels (per-snapshot errors,
 * a channel program's Lua error). Plus two checks against the zfs command itself: the
 * reservation of a full zvol, and the channel-program listing against {@code zfs list}.
 */
@RequiresKernel(KernelFeature.ZFS)
class ZfsFaultTest {
    private static final long MIB = ZfsLab.MIB;

    @TempDir
    Path dir;

    private Pool pool(Storage storage, String name) {
        Pool pool = storage.definePool(PoolDefinition.builder(PoolType.ZFS, name)
                .source(PoolSource.builder().name(name).build()).build());
        pool.start();
        return pool;
    }

    @Test
    void faultsMapToPreciseErrors() throws Exception {
        try (ZfsLab lab = new ZfsLab(dir);
             Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage")))) {
            String name = lab.pool(128 * MIB);
            Pool pool = pool(storage, name);

            // Pool full: a reservation larger than the pool is refused; a sparse zvol of that size is not.
            StorageException full = assertThrows(StorageException.class,
                    () -> pool.createVolume(VolumeDefinition.builder("big", 1L << 30).build()));
            assertEquals(ErrorCode.NO_SPACE, full.code(), full.getMessage());
            NativeCallException cause = assertInstanceOf(NativeCallException.class, full.getCause());
            assertEquals("lzc_create", cause.function());
            assertEquals("ENOSPC", cause.errnoName());
            pool.createVolume(VolumeDefinition.builder("thin", 1L << 30).allocation(0).build()).delete();

            // A name ZFS refuses is refused before the kernel sees it, with ZFS's rule.
            StorageException invalid = assertThrows(StorageException.class,
                    () -> pool.createVolume(VolumeDefinition.builder("web%1", MIB).build()));
            assertEquals(ErrorCode.INVALID_ARGUMENT, invalid.code());
            assertTrue(invalid.getMessage().contains(ZfsNames.RULE), invalid.getMessage());
            // ... and the kernel's own EINVAL, should one get through, keeps lzc_create and the dataset.
            NativeCallException kernel = assertThrows(NativeCallException.class, () -> ZfsCore.instance()
                    .create(name + "/web%1", ZfsCore.DatasetType.VOLUME, Map.of("volsize", MIB)));
            assertEquals("EINVAL", kernel.errnoName());
            assertTrue(kernel.getMessage().contains("lzc_create") && kernel.getMessage().contains(name + "/web%1"),
                    kernel.getMessage());

            // A zvol made behind the library's back after the last refresh: EEXIST from lzc_create.
            ZfsLab.run("zfs", "create", "-V", "8M", name + "/taken");
            StorageException exists = assertThrows(StorageException.class,
                    () -> pool.createVolume(VolumeDefinition.builder("taken", 8 * MIB).build()));
            assertEquals(ErrorCode.VOLUME_EXISTS, exists.code());
            assertEquals("EEXIST", ((NativeCallException) exists.getCause()).errnoName());

            // A zvol held open by a process cannot be destroyed; the error names the holder.
            Volume held = pool.createVolume(VolumeDefinition.builder("held", 8 * MIB).allocation(0).build());
            Path device = new ZvolDevices().await(held.key(), Duration.ofSeconds(30), "test", "test");
            try (FileChannel open = FileChannel.open(device)) {
                StorageException busy = assertThrows(StorageException.class, held::delete);
                assertEquals(ErrorCode.DEVICE_BUSY, busy.code());
                assertTrue(busy.getMessage().contains("open in process " + ProcessHandle.current().pid()),
                        busy.getMessage());
                assertEquals("EBUSY", ((NativeCallException) busy.getCause()).errnoName());
            }
            held.delete();
        }
    }

    @Test
    void theLibrarysErrorChannelsArePassedOn() throws Exception {
        try (ZfsLab lab = new ZfsLab(dir)) {
            String name = lab.pool(128 * MIB);
            ZfsLab.run("zfs", "create", "-V", "8M", name + "/a");
            ZfsCore zfs = ZfsCore.instance();

            // lzc_snapshot is atomic over a pool and reports one error per snapshot.
            NativeCallException snapshot = assertThrows(NativeCallException.class,
                    () -> zfs.snapshot(List.of(name + "/a@s", name + "/missing@s")));
            assertEquals("lzc_snapshot", snapshot.function());
            assertTrue(snapshot.getMessage().contains(name + "/missing@s: ENOENT"), snapshot.getMessage());
            assertTrue(!zfs.exists(name + "/a@s"), "nothing was snapshotted");

            // A channel program's Lua error comes back as the kernel's message.
            NativeCallException lua = assertThrows(NativeCallException.class, () -> zfs.channelProgram(name,
                    "error('no such thing as " + name + "')", Map.of(), ZfsCore.defaultInstructionLimit(),
                    ZfsCore.defaultMemoryLimit()));
            assertEquals("lzc_channel_program_nosync", lua.function());
            assertTrue(lua.getMessage().contains("no such thing as " + name), lua.getMessage());

            // Snapshot, clone, promote, rollback and rename, as libzfs_core does them.
            zfs.snapshot(List.of(name + "/a@one"));
            zfs.clone(name + "/b", name + "/a@one", Map.of());
            zfs.promote(name + "/b");
            assertTrue(zfs.exists(name + "/b@one"), "promote moved the snapshot to the clone");
            zfs.rollbackTo(name + "/b", name + "/b@one");
            zfs.rename(name + "/a", name + "/c");
            assertTrue(zfs.exists(name + "/c") && !zfs.exists(name + "/a"));
        }
    }

    @Test
    void aFullZvolReservesWhatZfsCreateReserves() throws Exception {
        try (ZfsLab lab = new ZfsLab(dir);
             Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage")))) {
            String name = lab.pool(512 * MIB);
            Pool pool = pool(storage, name);
            for (long size : List.of(16 * MIB, 100 * MIB)) {
                String ours = "ours" + size;
                pool.createVolume(VolumeDefinition.builder(ours, size).build());
                ZfsLab.run("zfs", "create", "-V", Long.toString(size), name + "/cli" + size);
                assertEquals(property(name + "/cli" + size, "refreservation"), property(name + "/" + ours,
                        "refreservation"), "refreservation of a " + size + "-byte zvol");
            }
        }
    }

    @Test
    void theChannelProgramListsWhatZfsListPrints() throws Exception {
        try (ZfsLab lab = new ZfsLab(dir)) {
            String name = lab.pool(128 * MIB);
            ZfsLab.run("zfs", "create", "-V", "8M", name + "/a");
            ZfsLab.run("zfs", "create", "-s", "-V", "16M", "-o", "volblocksize=16K", name + "/b");
            ZfsLab.run("zfs", "snapshot", name + "/a@s");
            ZfsLab.run("zfs", "clone", name + "/a@s", name + "/c");
            ZfsLab.run("zfs", "create", "-o", "mountpoint=none", name + "/fs");
            ZfsLab.run("zfs", "create", "-V", "8M", name + "/fs/deeper");
            ZfsCommands commands = ZfsCommands.create(Duration.ofMinutes(1));
            Zfs.Listing program = new Zfs(ZfsCore.instance(), commands, true).list(name);
            Zfs.Listing command = new Zfs(ZfsCore.instance(), commands, false).list(name);
            assertEquals(command, program);
            assertEquals(List.of(name + "/a", name + "/b", name + "/c"),
                    program.volumes().stream().map(Zfs.Zvol::dataset).toList());
            Zfs.Zvol b = program.volumes().get(1);
            assertEquals(16 * MIB, b.volsize());
            assertEquals(16 << 10, b.volblocksize());
            assertEquals(0, b.refreservation());
            assertEquals(java.util.Optional.of(name + "/a@s"), program.volumes().get(2).origin());
            assertEquals(Map.of(name + "/a@s", List.of(name + "/c")),
                    new Zfs(ZfsCore.instance(), commands, true).dependents(name + "/a"));
            assertEquals(Map.of(name + "/a@s", List.of(name + "/c")),
                    new Zfs(ZfsCore.instance(), commands, false).dependents(name + "/a"));
        }
    }

    private static String property(String dataset, String property) throws Exception {
        return ZfsLab.run("zfs", "get", "-Hp", "-o", "value", property, dataset).strip();
    }
}
