package org.libstorage.backends.zfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.libstorage.fallback.ZfsCommands;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.nativelib.ZfsCore;

/**
 * How the zfs backend reads ZFS: one read-only channel program per question
 * ({@code lzc_channel_program_nosync}: the kernel walks the datasets and returns one nvlist, no
 * process, no text), and {@code zfs list -Hp} where channel programs cannot run (not root, a
 * module without them, or {@link #REFRESH_PROPERTY}{@code =command}). Once the kernel refuses a
 * program, this instance uses the command from then on.
 */
final class Zfs {
    private static final System.Logger LOG = System.getLogger(Zfs.class.getName());

    /** System property: {@code auto} (channel programs, the default) or {@code command} (always zfs list). */
    static final String REFRESH_PROPERTY = "org.libstorage.zfs.refresh";
    static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);

    private static final List<String> COLUMNS = List.of("name", "type", "volsize", "volblocksize", "used",
            "referenced", "refreservation", "origin", "available");
    /** Errors meaning "channel programs cannot run here", as opposed to a failure of this one. */
    private static final Set<String> PROGRAM_REFUSED = Set.of("EPERM", "EACCES", "ENOTSUP", "EOPNOTSUPP", "ENOTTY",
            "ZFS_ERR_IOC_CMD_UNAVAIL", "ZFS_ERR_IOC_ARG_UNAVAIL");

    private static final String VOLUMES_PROGRAM = resource("volumes.lua");
    private static final String DEPENDENTS_PROGRAM = resource("dependents.lua");

    private final ZfsCore core;
    private final ZfsCommands commands;
    private volatile boolean programs;

    Zfs(ZfsCore core, ZfsCommands commands, boolean programs) {
        this.core = core;
        this.commands = commands;
        this.programs = programs;
    }

    ZfsCore core() {
        return core;
    }

    ZfsCommands commands() {
        return commands;
    }

    /** Whether refreshes run as channel programs (else {@code zfs list}). */
    boolean usesChannelPrograms() {
        return programs;
    }

    /** A zvol as a refresh sees it. {@code origin} is the snapshot it was cloned from. */
    record Zvol(String dataset, long volsize, long volblocksize, long used, long referenced, long refreservation,
                Optional<String> origin) {
        String name() {
            return dataset.substring(dataset.lastIndexOf('/') + 1);
        }
    }

    /** A dataset's space and the zvols directly under it; {@code exists} false when there is no such dataset. */
    record Listing(boolean exists, long used, long available, List<Zvol> volumes) {
        Listing {
            volumes = List.copyOf(volumes);
        }
    }

    /** The zvols directly under {@code dataset}, with its used and available space. */
    Listing list(String dataset) {
        if (programs) {
            try {
                return fromProgram(run(ZfsNames.poolOf(dataset), VOLUMES_PROGRAM, Map.of("dataset", dataset)));
            } catch (NativeCallException e) {
                fallBackOrThrow(e);
            }
        }
        return listWithCommand(dataset);
    }

    /** One zvol, or empty when it does not exist (or is not a zvol). */
    Optional<Zvol> describe(String volume) {
        if (programs) {
            try {
                Listing one = fromProgram(run(ZfsNames.poolOf(volume), VOLUMES_PROGRAM, Map.of("volume", volume)));
                return one.volumes().stream().findFirst();
            } catch (NativeCallException e) {
                fallBackOrThrow(e);
            }
        }
        if (!core.exists(volume)) {
            return Optional.empty();
        }
        return rows(List.of(volume)).stream().filter(r -> r.get("type").equals("volume")).findFirst()
                .map(Zfs::zvolOf);
    }

    /** The zvol's snapshots, each with the clones made from it. */
    Map<String, List<String>> dependents(String volume) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (programs) {
            try {
                Object result = run(ZfsNames.poolOf(volume), DEPENDENTS_PROGRAM, Map.of("volume", volume));
                if (result instanceof Map<?, ?> snapshots) {
                    snapshots.forEach((snapshot, clones) -> out.put(String.valueOf(snapshot),
                            clones instanceof Map<?, ?> m ? m.keySet().stream().map(String::valueOf).toList() : List.of()));
                }
                return out;
            } catch (NativeCallException e) {
                fallBackOrThrow(e);
            }
        }
        for (Map<String, String> row : commands.list(List.of("name", "clones"),
                List.of("-t", "snapshot", "-d", "1", volume))) {
            String clones = row.get("clones");
            out.put(row.get("name"), clones.equals("-") || clones.isEmpty() ? List.of() : List.of(clones.split(",")));
        }
        return out;
    }

    private Object run(String pool, String program, Map<String, String> arguments) {
        return core.channelProgram(pool, program, arguments, ZfsCore.defaultInstructionLimit() * 10,
                ZfsCore.defaultMemoryLimit());
    }

    private void fallBackOrThrow(NativeCallException e) {
        if (!PROGRAM_REFUSED.contains(e.errnoName())) {
            throw e;
        }
        programs = false;
        LOG.log(System.Logger.Level.INFO, "ZFS channel programs cannot run here ({0}); listing with zfs list instead",
                e.getMessage());
    }

    private static Listing fromProgram(Object result) {
        if (!(result instanceof Map<?, ?> map)) {
            return new Listing(false, 0, 0, List.of());
        }
        boolean exists = Boolean.TRUE.equals(map.get("exists"));
        List<Zvol> volumes = new ArrayList<>();
        if (map.get("volumes") instanceof Map<?, ?> found) {
            found.forEach((name, props) -> {
                Map<?, ?> p = props instanceof Map<?, ?> m ? m : Map.of();
                volumes.add(new Zvol(String.valueOf(name), number(p.get("volsize")), number(p.get("volblocksize")),
                        number(p.get("used")), number(p.get("referenced")), number(p.get("refreservation")),
                        origin(p.get("origin"))));
            });
        }
        volumes.sort(java.util.Comparator.comparing(Zvol::dataset));
        return new Listing(exists, number(map.get("used")), number(map.get("available")), volumes);
    }

    private Listing listWithCommand(String dataset) {
        if (!core.exists(dataset)) {
            return new Listing(false, 0, 0, List.of());
        }
        List<Map<String, String>> rows = rows(List.of("-t", "filesystem,volume", "-d", "1", dataset));
        long used = 0;
        long available = 0;
        List<Zvol> volumes = new ArrayList<>();
        for (Map<String, String> row : rows) {
            if (row.get("name").equals(dataset)) {
                used = parse(row.get("used")).orElse(0);
                available = parse(row.get("available")).orElse(0);
            } else if (row.get("type").equals("volume")) {
                volumes.add(zvolOf(row));
            }
        }
        volumes.sort(java.util.Comparator.comparing(Zvol::dataset));
        return new Listing(true, used, available, volumes);
    }

    private List<Map<String, String>> rows(List<String> args) {
        return commands.list(COLUMNS, args);
    }

    private static Zvol zvolOf(Map<String, String> row) {
        return new Zvol(row.get("name"), parse(row.get("volsize")).orElse(0), parse(row.get("volblocksize")).orElse(0),
                parse(row.get("used")).orElse(0), parse(row.get("referenced")).orElse(0),
                parse(row.get("refreservation")).orElse(0), origin(row.get("origin")));
    }

    private static OptionalLong parse(String value) {
        if (value == null || value.equals("-") || value.isEmpty() || value.equals("none")) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseUnsignedLong(value));
    }

    private static long number(Object value) {
        return value instanceof Long l ? l : 0;
    }

    private static Optional<String> origin(Object value) {
        return value instanceof String s && !s.isEmpty() && !s.equals("-") ? Optional.of(s) : Optional.empty();
    }

    private static String resource(String name) {
        try (InputStream in = Zfs.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the channel program " + name + " is missing from the backends jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
