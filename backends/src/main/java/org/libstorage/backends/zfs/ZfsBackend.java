package org.libstorage.backends.zfs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolTarget;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.ZfsCommands;
import org.libstorage.nativelib.ZfsCore;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/**
 * {@code zfs} pools, libvirt's XML: {@code <source><name>POOL[/DATASET]</name>} (and the
 * {@code <device path=…/>}s a build makes the pool on); the zvols directly under that dataset
 * are the volumes. Runs where libzfs_core is installed (Debian {@code libzfs4linux},
 * {@code libnvpair3linux}, contrib) and the zfs kernel module is loaded ({@code /dev/zfs});
 * the {@code zfs}/{@code zpool} commands (Debian {@code zfsutils-linux}) build, import, export
 * and destroy pools and set volume sizes.
 */
@PoolBackend.Serves(PoolType.ZFS)
public final class ZfsBackend implements PoolBackend {
    private final ZfsCore core;
    private final ZfsCommands commands;
    private final boolean channelPrograms;
    /** Shared by this backend's drivers, so a refusal of channel programs is learnt once. */
    private Zfs zfs;

    /**
     * Backend option: {@code command} makes a Storage's zfs pools refresh with {@code zfs list}
     * instead of a channel program (to compare the two, or where programs are unwanted).
     */
    public static final String REFRESH_OPTION = "zfs.refresh";
    /** The drivers of Storages whose {@link #REFRESH_OPTION} is {@code command}. */
    private Zfs zfsByCommand;

    /** For {@link java.util.ServiceLoader}: this host's libzfs_core, refreshing by channel program. */
    public ZfsBackend() {
        this(ZfsCore.instance(), ZfsCommands.create(Zfs.COMMAND_TIMEOUT), true);
    }

    ZfsBackend(ZfsCore core, ZfsCommands commands, boolean channelPrograms) {
        this.core = core;
        this.commands = commands;
        this.channelPrograms = channelPrograms;
    }

    private synchronized Zfs zfs(BackendContext context) {
        boolean byCommand = context != null && context.option(REFRESH_OPTION).filter("command"::equals).isPresent();
        if (!byCommand) {
            return zfs();
        }
        if (zfsByCommand == null) {
            zfsByCommand = new Zfs(core, commands, false);
        }
        return zfsByCommand;
    }

    private synchronized Zfs zfs() {
        if (zfs == null) {
            zfs = new Zfs(core, commands, channelPrograms);
        }
        return zfs;
    }

    @Override
    public PoolType type() {
        return PoolType.ZFS;
    }

    @Override
    public BackendStatus status() {
        return status(null);
    }

    /** As {@link #status()}, saying how refresh runs under the Storage's {@value #REFRESH_OPTION} option. */
    @Override
    public BackendStatus status(BackendContext context) {
        Optional<String> missing = core.unavailableReason();
        if (missing.isPresent()) {
            return BackendStatus.unavailable(type(), missing.get() + " (" + ZfsErrors.PACKAGES + ")");
        }
        if (!ZfsCore.kernelModuleLoaded()) {
            return BackendStatus.unavailable(type(), "the zfs kernel module is not loaded (no "
                    + ZfsCore.CONTROL_DEVICE + "); install zfs-dkms (Debian contrib) and run modprobe zfs");
        }
        List<String> notes = new ArrayList<>();
        notes.add("zvols are created, snapshotted, cloned and destroyed through " + ZfsCore.SONAME);
        notes.add(zfs(context).usesChannelPrograms()
                ? "refresh runs one read-only ZFS channel program (lzc_channel_program_nosync)"
                : "refresh runs zfs list (channel programs are off or refused here)");
        if (!commands.available()) {
            notes.add("the zfs and zpool commands are not installed (Debian zfsutils-linux, contrib): pools cannot be"
                    + " built, imported, exported or deleted, nor volumes resized");
        }
        return new BackendStatus(type(), true, Optional.empty(), notes);
    }

    /**
     * The source name is the dataset ({@code POOL} or {@code POOL/DATASET}; default: the pool's
     * name), checked against ZFS's naming rule; the target path is {@code /dev/zvol/DATASET},
     * filled in when missing (libvirt's volumes live under it).
     */
    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        String object = "pool '" + definition.name() + "'";
        String dataset = definition.source().name().orElse(definition.name());
        ZfsNames.datasetProblem(dataset).ifPresent(problem -> {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, "pool-define", "The source name '"
                    + dataset + "' of zfs pool '" + definition.name() + "' is not a ZFS dataset name: " + problem
                    + " (" + ZfsNames.RULE + ").");
        });
        Path expected = ZvolDevices.link(dataset);
        Optional<Path> target = definition.targetPath();
        if (target.isPresent() && !target.get().normalize().equals(expected)) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, object, "pool-define",
                    "The target path of zfs pool '" + definition.name() + "' must be " + expected + ", not "
                            + target.get() + ".");
        }
        for (PoolSource.Device device : definition.source().devices()) {
            if (!device.path().isAbsolute()) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, object, "pool-define", "The source device '"
                        + device.path() + "' of pool '" + definition.name() + "' must be an absolute path.");
            }
        }
        PoolDefinition.Builder builder = definition.toBuilder()
                .source(definition.source().toBuilder().name(dataset).build());
        if (target.isEmpty()) {
            builder.target(new PoolTarget(Optional.of(expected), definition.target().flatMap(PoolTarget::permissions)));
        }
        return builder.build();
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        return new ZfsPoolDriver(validate(definition), zfs(context), context);
    }

    /**
     * The pools {@code zpool import} could import (exported or never imported on this host),
     * each with the devices it found; a hint's devices are where to look ({@code -d}).
     */
    @Override
    public List<PoolSource> findPoolSources(Optional<PoolSource> hint) {
        List<String> search = hint.map(h -> h.devices().stream().map(d -> d.path().toString()).toList())
                .orElse(List.of());
        List<ZfsCommands.ImportablePool> pools;
        try {
            pools = commands.importable(search);
        } catch (CommandException e) {
            throw ZfsErrors.map(e, null, "find-pool-sources", "list importable ZFS pools");
        }
        List<PoolSource> sources = new ArrayList<>();
        for (ZfsCommands.ImportablePool pool : pools) {
            PoolSource.Builder source = PoolSource.builder().name(pool.name());
            for (String device : pool.devices()) {
                if (device.startsWith("/")) {
                    source.device(Path.of(device));
                } else if (!device.matches("[0-9]+")) {
                    source.device(Path.of("/dev", device)); // zpool prints names under /dev without it
                }
            }
            sources.add(source.build());
        }
        return sources;
    }
}
