package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import org.libstorage.lower.CommandException;

/**
 * The {@code zfs} and {@code zpool} commands, for what libzfs_core has no call for: making,
 * importing, exporting and destroying pools, setting {@code volsize}, and listing volumes where
 * channel programs cannot run. Runs through {@link CommandRunner} (argv only, {@code LC_ALL=C},
 * a timeout) and parses their scripted output: {@code -H} (tab-separated, no header) and
 * {@code -p} (exact numbers), never the human-readable tables.
 */
public final class ZfsCommands {
    public static final String ZFS = "zfs";
    public static final String ZPOOL = "zpool";

    private final CommandRunner runner;

    private ZfsCommands(CommandRunner runner) {
        this.runner = runner;
    }

    public static ZfsCommands create(Duration timeout) {
        return new ZfsCommands(CommandRunner.create().withTimeout(timeout));
    }

    /** Whether both {@code zfs} and {@code zpool} can be run here. */
    public boolean available() {
        return runner.available(ZFS) && runner.available(ZPOOL);
    }

    /** Runs {@code zfs ARGS} and returns its result whatever its exit status. */
    public CommandResult zfs(List<String> args) {
        return runner.execute(Command.of(ZFS).args(args));
    }

    /** Runs {@code zpool ARGS} and returns its result whatever its exit status. */
    public CommandResult zpool(List<String> args) {
        return runner.execute(Command.of(ZPOOL).args(args));
    }

    /**
     * {@code zfs list -Hp -o COLUMNS ARGS}: one map per dataset, column name to value as
     * printed ({@code -} where a property does not apply).
     *
     * @throws CommandException when zfs fails or prints a line with the wrong number of fields
     */
    public List<Map<String, String>> list(List<String> columns, List<String> args) {
        List<String> argv = new ArrayList<>(List.of("list", "-Hp", "-o", String.join(",", columns)));
        argv.addAll(args);
        CommandResult result = zfs(argv).requireSuccess();
        return parseTable(result, columns);
    }

    /**
     * Reads {@code -H} output: tab-separated fields (values may hold spaces, never tabs), one
     * line per row, in {@code columns}' order.
     */
    public static List<Map<String, String>> parseTable(CommandResult result, List<String> columns) {
        Objects.requireNonNull(columns, "columns");
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : result.stdoutLines()) {
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            if (fields.length != columns.size()) {
                throw badOutput(result, "a line of " + fields.length + " tab-separated fields where "
                        + columns.size() + " (" + String.join(",", columns) + ") were asked for: " + line);
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < fields.length; i++) {
                row.put(columns.get(i), fields[i]);
            }
            rows.add(row);
        }
        return rows;
    }

    /** A pool {@code zpool import} offers: its name, numeric id, state and the devices it found. */
    public record ImportablePool(String name, String id, String state, List<String> devices) {
        public ImportablePool {
            Objects.requireNonNull(name, "name");
            devices = List.copyOf(devices);
        }
    }

    /**
     * {@code zpool import} with no pool name lists the pools it could import (with {@code -d}
     * for each of {@code searchPaths}: directories or devices to look in). It has no scripted
     * format; its report is blocks of {@code key: value} lines, a {@code config:} section holding
     * the vdev tree, and a blank line between pools. An exit status of 1 with "no pools
     * available" on stderr means none.
     */
    public List<ImportablePool> importable(List<String> searchPaths) {
        List<String> argv = new ArrayList<>(List.of("import"));
        for (String path : searchPaths) {
            argv.add("-d");
            argv.add(path);
        }
        CommandResult result = zpool(argv);
        if (!result.succeeded()) {
            if (result.stderr().contains("no pools available") || result.stdout().contains("no pools available")) {
                return List.of();
            }
            throw result.exitStatusException();
        }
        return parseImportable(result.stdout());
    }

    /** Parses the report of {@code zpool import} (see {@link #importable}). */
    public static List<ImportablePool> parseImportable(String report) {
        List<ImportablePool> pools = new ArrayList<>();
        String name = null;
        String id = "";
        String state = "";
        List<String> devices = new ArrayList<>();
        boolean inConfig = false;
        int treeIndent = -1;
        for (String line : report.lines().toList()) {
            String trimmed = line.strip();
            if (trimmed.startsWith("pool: ")) {
                if (name != null) {
                    pools.add(new ImportablePool(name, id, state, devices));
                }
                name = trimmed.substring("pool: ".length()).strip();
                id = "";
                state = "";
                devices = new ArrayList<>();
                inConfig = false;
                treeIndent = -1;
            } else if (name != null && trimmed.startsWith("id: ") && !inConfig) {
                id = trimmed.substring("id: ".length()).strip();
            } else if (name != null && trimmed.startsWith("state: ") && !inConfig) {
                state = trimmed.substring("state: ".length()).strip();
            } else if (name != null && trimmed.equals("config:")) {
                inConfig = true;
            } else if (inConfig && !trimmed.isEmpty()) {
                String first = trimmed.split("\\s+")[0];
                if (first.endsWith(":")) {
                    inConfig = false; // "errors: ..." or another key after the tree
                    continue;
                }
                int indent = line.length() - line.stripLeading().length();
                if (treeIndent < 0) {
                    treeIndent = indent; // the pool's own line: the root of the vdev tree
                } else if (indent > treeIndent && !isGroupingVdev(first)) {
                    devices.add(first);
                }
            }
        }
        if (name != null) {
            pools.add(new ImportablePool(name, id, state, devices));
        }
        return pools;
    }

    /** Vdev tree lines that group devices instead of naming one: mirror-0, raidz1-0, logs, ... */
    private static boolean isGroupingVdev(String word) {
        return word.matches("(mirror|raidz[123]?|draid[123]?[^ ]*|spare|replacing)-\\d+")
                || word.equals("logs") || word.equals("cache") || word.equals("spares") || word.equals("special")
                || word.equals("dedup");
    }

    private static CommandException badOutput(CommandResult result, String what) {
        return new CommandException(result.argv(), CommandException.Reason.BAD_OUTPUT,
                OptionalInt.of(result.exitStatus()), result.stderr(),
                Command.displayOf(result.argv()) + " printed " + what, null);
    }
}
