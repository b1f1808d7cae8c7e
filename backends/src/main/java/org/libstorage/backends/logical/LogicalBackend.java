package org.libstorage.backends.logical;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolTarget;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.fallback.LvmCommand;
import org.libstorage.lower.LowerLayerException;
import org.libstorage.nativelib.Lvm2cmd;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.Jobs;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/**
 * {@code logical} pools: an LVM volume group whose logical volumes are the pool's volumes. LVM
 * runs in-process through liblvm2cmd where it is installed, and through the {@code lvm} command
 * otherwise and for every command that activates devices. On a kernel without device-mapper,
 * LVM runs with {@code global/activation=0}: metadata operations work, data operations are
 * refused with an error naming the missing kernel feature.
 */
@PoolBackend.Serves(PoolType.LOGICAL)
public final class LogicalBackend implements PoolBackend {
    static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);
    private static final System.Logger LOG = System.getLogger(LogicalBackend.class.getName());

    private final Supplier<Lvm> lvmFactory;
    /** Made on first use, so that loading the backend loads no library and starts no thread. */
    private Lvm lvm;
    /** Lvms for pools whose Storage sets {@link #ENGINE_OPTION} or {@link #CONFIG_OPTION}, by those settings. */
    private final Map<List<String>, Lvm> configured = new java.util.HashMap<>();

    /**
     * Backend option ({@code StorageConfig.withBackendOption}) choosing how LVM runs: {@code auto}
     * (the default: liblvm2cmd when it loads) or {@code command} (always the lvm binary, for hosts
     * where the library misbehaves and for comparing the two).
     */
    public static final String ENGINE_OPTION = "lvm.engine";
    /** Backend option with extra LVM configuration (LVM syntax) passed to every command of the pools. */
    public static final String CONFIG_OPTION = "lvm.config";

    /**
     * The backend as ServiceLoader makes it: this host's settings (activation only with
     * device-mapper), liblvm2cmd where it loads. A Storage's {@link #ENGINE_OPTION} and
     * {@link #CONFIG_OPTION} apply to the pools it opens.
     */
    public LogicalBackend() {
        this(() -> defaultLvm(LvmSettings.forHost(""), true));
    }

    LogicalBackend(Supplier<Lvm> lvmFactory) {
        this.lvmFactory = lvmFactory;
    }

    /** The Lvm for a pool: the backend's own, or one made for the Storage's LVM options. */
    private synchronized Lvm lvm(BackendContext context) {
        Optional<String> engine = context == null ? Optional.empty() : context.option(ENGINE_OPTION);
        Optional<String> config = context == null ? Optional.empty() : context.option(CONFIG_OPTION);
        if (engine.isEmpty() && config.isEmpty()) {
            return lvm();
        }
        return configured.computeIfAbsent(List.of(engine.orElse("auto"), config.orElse("")),
                k -> defaultLvm(LvmSettings.forHost(k.get(1)), !"command".equals(k.get(0))));
    }

    private synchronized Lvm lvm() {
        if (lvm == null) {
            lvm = lvmFactory.get();
        }
        return lvm;
    }

    /** An Lvm over liblvm2cmd when {@code inProcess} and the library loads, else the lvm command alone. */
    static Lvm defaultLvm(LvmSettings settings, boolean inProcess) {
        CommandLvmRunner command = new CommandLvmRunner(LvmCommand.create(COMMAND_TIMEOUT));
        LvmRunner primary = command;
        Optional<LowerLayerException> failure = Optional.empty();
        if (inProcess && Lvm2cmd.unavailableReason().isEmpty()) {
            try {
                primary = new InProcessLvmRunner(Lvm2cmd.shared());
            } catch (LowerLayerException e) {
                // liblvm2cmd is installed but could not initialise: the lvm command gives the same
                // results. Say so (status notes, the log with the cause), never "install it".
                LOG.log(System.Logger.Level.WARNING, "liblvm2cmd could not be initialised; LVM runs through the lvm command", e);
                failure = Optional.of(e);
            }
        }
        return new Lvm(primary, command, settings, failure);
    }

    @Override
    public PoolType type() {
        return PoolType.LOGICAL;
    }

    @Override
    public BackendStatus status() {
        return status(null);
    }

    /** As {@link #status()}, for the LVM the Storage's options choose ({@value #ENGINE_OPTION}, {@value #CONFIG_OPTION}). */
    @Override
    public BackendStatus status(BackendContext context) {
        Lvm lvm = lvm(context);
        boolean binary = LvmCommand.create(COMMAND_TIMEOUT).available();
        boolean library = lvm.runner() instanceof InProcessLvmRunner;
        if (!binary && !library) {
            return BackendStatus.unavailable(PoolType.LOGICAL, "neither " + Lvm2cmd.SONAME + " (Debian package "
                    + Lvm2cmd.DEBIAN_PACKAGE + ") nor the lvm command (Debian package lvm2) is installed");
        }
        List<String> notes = new ArrayList<>();
        notes.add(library ? "LVM runs in-process through " + Lvm2cmd.SONAME
                + "; commands that activate devices run the lvm command"
                : "LVM runs through the lvm command (" + whyNotInProcess(lvm) + ")");
        if (!lvm.settings().activation()) {
            notes.add(LogicalPoolDriver.NO_DEVICE_MAPPER_NOTE);
        }
        if (library && !binary) {
            notes.add("the lvm command is not installed (Debian package lvm2): activation is not possible");
        }
        return new BackendStatus(PoolType.LOGICAL, true, Optional.empty(), notes);
    }

    private static String whyNotInProcess(Lvm lvm) {
        Optional<LowerLayerException> failure = lvm.inProcessFailure();
        if (failure.isPresent()) {
            return Lvm2cmd.SONAME + " is installed but could not be initialised: " + failure.get().getMessage();
        }
        return Lvm2cmd.unavailableReason().map(reason -> Lvm2cmd.SONAME + " is not available: install "
                + Lvm2cmd.DEBIAN_PACKAGE).orElse("the " + ENGINE_OPTION + " option says command");
    }

    /**
     * A logical pool's source name is its VG (default: the pool's name), or {@code VG/THINPOOL}
     * for a pool of thin volumes; its target path is {@code /dev/<vg>}. Both are filled in when
     * missing.
     */
    @Override
    public PoolDefinition validate(PoolDefinition definition) {
        String sourceName = definition.source().name().orElse(definition.name());
        LogicalSource source = LvmNames.parseSource(definition.name(), sourceName);
        Path expected = Path.of("/dev", source.vg());
        Optional<Path> target = definition.targetPath();
        if (target.isPresent() && !target.get().normalize().equals(expected)) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, "pool '" + definition.name() + "'", "pool-define",
                    "The target path of logical pool '" + definition.name() + "' must be " + expected + ", not "
                            + target.get() + ".");
        }
        for (PoolSource.Device device : definition.source().devices()) {
            if (!device.path().isAbsolute()) {
                throw new StorageException(ErrorCode.INVALID_DEFINITION, "pool '" + definition.name() + "'",
                        "pool-define", "The source device '" + device.path() + "' of pool '" + definition.name()
                        + "' must be an absolute path.");
            }
        }
        PoolDefinition.Builder builder = definition.toBuilder()
                .source(definition.source().toBuilder().name(sourceName).build());
        if (target.isEmpty()) {
            builder.target(new PoolTarget(Optional.of(expected),
                    definition.target().flatMap(PoolTarget::permissions)));
        }
        return builder.build();
    }

    @Override
    public PoolDriver open(PoolDefinition definition, BackendContext context) {
        return new LogicalPoolDriver(validate(definition), lvm(context), context == null ? Jobs.NONE : context.jobs());
    }

    /**
     * The volume groups LVM sees, each with its physical volumes; with a hint naming devices,
     * only the groups on those devices.
     */
    @Override
    public List<PoolSource> findPoolSources(Optional<PoolSource> hint) {
        return findPoolSources(hint, null);
    }

    /** As {@link #findPoolSources(Optional)}, through the LVM the Storage's options choose. */
    @Override
    public List<PoolSource> findPoolSources(Optional<PoolSource> hint, BackendContext context) {
        List<String> devices = hint.map(h -> h.devices().stream().map(d -> d.path().toString()).toList())
                .orElse(List.of());
        LvmReport report = lvm(context).report("pvs", "pv_name,vg_name,vg_fmt", devices, null, "find-pool-sources");
        Map<String, PoolSource.Builder> groups = new LinkedHashMap<>();
        for (LvmReport.Row row : report.section("pv")) {
            String vg = row.text("vg_name");
            if (vg.isEmpty()) {
                continue; // a PV in no group is not a pool source yet
            }
            groups.computeIfAbsent(vg, name -> PoolSource.builder().name(name).format(
                            row.text("vg_fmt").isEmpty() ? "lvm2" : row.text("vg_fmt")))
                    .device(Path.of(row.text("pv_name")));
        }
        return groups.values().stream().map(PoolSource.Builder::build).toList();
    }
}
