package org.libstorage.storagectl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import org.libstorage.BackendStatus;
import org.libstorage.HostDevice;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.xml.PoolXml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Verbs about the host rather than one pool: its devices, its backends, the sources pools could use. */
final class HostVerbs {
    private HostVerbs() {
    }

    @Command(name = "host-devices", description = "Lists the host's block devices as a tree, as lsblk does.")
    static final class HostDevices extends Verb {
        @Override
        void execute() {
            List<HostDevice> devices = root.storage().hostDevices();
            DeviceTree tree = new DeviceTree(devices);
            if (root.json()) {
                Json json = new Json();
                ArrayNode array = json.array();
                tree.roots().forEach(d -> array.add(tree.json(json, d, new HashSet<>())));
                json.print(out(), array);
                return;
            }
            List<String[]> rows = new ArrayList<>();
            for (HostDevice root : tree.roots()) {
                tree.rows(root, "", "", rows, new HashSet<>());
            }
            String[] headings = {"NAME", "SIZE", "TYPE", "RO", "FSTYPE", "LABEL", "UUID", "MOUNTPOINTS"};
            int[] widths = new int[headings.length];
            for (int c = 0; c < headings.length; c++) {
                widths[c] = headings[c].length();
                for (String[] row : rows) {
                    widths[c] = Math.max(widths[c], row[c].length());
                }
            }
            out().println(line(headings, widths));
            rows.forEach(r -> out().println(line(r, widths)));
        }

        private static String line(String[] cells, int[] widths) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cells.length; c++) {
                boolean right = c == 1; // sizes line up on the right, as lsblk prints them
                String pad = " ".repeat(widths[c] - cells[c].length());
                line.append(right ? pad + cells[c] : cells[c] + (c < cells.length - 1 ? pad : ""));
                if (c < cells.length - 1) {
                    line.append("  ");
                }
            }
            return line.toString().stripTrailing();
        }
    }

    /**
     * The host's devices arranged as lsblk arranges them: partitions under their disk, and
     * stacked devices (dm, md) under each device they sit on.
     */
    static final class DeviceTree {
        private final Map<String, HostDevice> byName = new LinkedHashMap<>();
        private final Map<String, List<HostDevice>> children = new LinkedHashMap<>();

        DeviceTree(List<HostDevice> devices) {
            devices.forEach(d -> byName.put(d.name(), d));
            for (HostDevice d : devices) {
                d.parent().filter(byName::containsKey).ifPresent(p -> children(p).add(d));
                for (String holder : d.holders()) {
                    HostDevice h = byName.get(holder);
                    if (h != null && !children(d.name()).contains(h)) {
                        children(d.name()).add(h);
                    }
                }
            }
        }

        private List<HostDevice> children(String name) {
            return children.computeIfAbsent(name, n -> new ArrayList<>());
        }

        List<HostDevice> children(HostDevice d) {
            return children.getOrDefault(d.name(), List.of());
        }

        /** Devices that sit on no other known device. */
        List<HostDevice> roots() {
            return byName.values().stream()
                    .filter(d -> d.parent().filter(byName::containsKey).isEmpty())
                    .filter(d -> d.slaves().stream().noneMatch(byName::containsKey))
                    .toList();
        }

        void rows(HostDevice d, String prefix, String childPrefix, List<String[]> rows, Set<String> path) {
            HostDevice.Probe p = d.probe();
            rows.add(new String[] {
                prefix + displayName(d), Sizes.human(d.size()), kind(d), d.readOnly() ? "1" : "0",
                p.type().orElse(""), p.label().orElse(""), p.uuid().orElse(""),
                d.mountPoints().stream().map(Path::toString).collect(Collectors.joining(","))});
            if (!path.add(d.name())) {
                return; // a cycle in sysfs' holders would be a kernel bug; do not loop on it
            }
            List<HostDevice> kids = children(d);
            for (int i = 0; i < kids.size(); i++) {
                boolean last = i == kids.size() - 1;
                rows(kids.get(i), childPrefix + (last ? "└─" : "├─"), childPrefix + (last ? "  " : "│ "), rows, path);
            }
            path.remove(d.name());
        }

        ObjectNode json(Json json, HostDevice d, Set<String> path) {
            List<ObjectNode> kids = new ArrayList<>();
            if (path.add(d.name())) {
                children(d).forEach(c -> kids.add(json(json, c, path)));
                path.remove(d.name());
            }
            return json.device(d, kids);
        }

        /** A device-mapper device by its /dev/mapper name, as lsblk shows it; others by their kernel name. */
        static String displayName(HostDevice d) {
            if (d.kind() == HostDevice.Kind.DM && d.path().startsWith("/dev/mapper/")) {
                return d.path().getFileName().toString();
            }
            return d.name();
        }

        static String kind(HostDevice d) {
            return switch (d.kind()) {
                case PARTITION -> "part";
                default -> d.kind().name().toLowerCase(Locale.ROOT);
            };
        }
    }

    @Command(name = "backends", description = "Shows which pool types can run on this host, and why not.")
    static final class Backends extends Verb {
        @Override
        void execute() {
            List<BackendStatus> statuses = root.storage().backends();
            if (root.json()) {
                Json json = new Json();
                json.printArray(out(), statuses, json::backend);
                return;
            }
            Table table = new Table("Type", "Available", "Notes");
            for (BackendStatus s : statuses) {
                List<String> notes = new ArrayList<>();
                s.reason().ifPresent(notes::add);
                notes.addAll(s.notes());
                table.row(s.type().xmlName(), PoolVerbs.yesNo(s.available()), String.join("; ", notes));
            }
            table.print(out());
        }
    }

    @Command(name = "find-pool-sources",
            description = "Lists sources a pool of TYPE could be built from (volume groups, devices, iSCSI targets).")
    static final class FindPoolSources extends Verb {
        @Parameters(index = "0", paramLabel = "TYPE", converter = PoolTypeConverter.class)
        PoolType type;

        @Parameters(index = "1", paramLabel = "SRCSPEC-FILE", arity = "0..1",
                description = "A <source> XML file narrowing the search (such as an iSCSI portal host).")
        Path specFile;

        @Option(names = "--host", paramLabel = "HOST", description = "The host to ask (an iSCSI portal).")
        String host;

        @Option(names = "--port", paramLabel = "PORT", description = "The host's port.")
        Integer port;

        @Override
        void execute() {
            Optional<PoolSource> hint = hint();
            List<PoolSource> sources = root.storage().findPoolSources(type, hint);
            if (root.json()) {
                Json json = new Json();
                json.printArray(out(), sources, json::source);
                return;
            }
            String xml = PoolXml.writeSources(sources);
            out().print(xml.endsWith("\n") ? xml : xml + "\n");
        }

        private Optional<PoolSource> hint() {
            if (port != null && host == null) {
                throw usageError("--port needs --host");
            }
            PoolSource.Builder builder = null;
            if (specFile != null) {
                builder = SourceSpec.read(readInput(specFile), specFile);
            }
            if (host != null) {
                builder = builder != null ? builder : PoolSource.builder();
                builder.host(new PoolSource.Host(host, port != null ? OptionalInt.of(port) : OptionalInt.empty()));
            }
            return Optional.ofNullable(builder).map(PoolSource.Builder::build);
        }
    }
}
