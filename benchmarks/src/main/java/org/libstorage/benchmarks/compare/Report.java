package org.libstorage.benchmarks.compare;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.libstorage.benchmarks.compare.Compare.Contender;
import org.libstorage.benchmarks.compare.Compare.Phase;
import org.libstorage.benchmarks.compare.Compare.Role;

/** What {@code bin/bench compare} prints and writes: a Markdown table, JSON and an SVG chart. */
final class Report {
    private final Compare.Options options;
    private final Instant started;
    private final String libvirtVersion;
    private final List<double[]> loads;
    private final List<Phase> phases;
    private final Map<String, String> machine = new LinkedHashMap<>();

    Report(Compare.Options options, Instant started, String libvirtVersion, List<double[]> loads, List<Phase> phases) {
        this.options = options;
        this.started = started;
        this.libvirtVersion = libvirtVersion;
        this.loads = loads;
        this.phases = phases;
        machine.put("date", DateTimeFormatter.ISO_LOCAL_DATE.format(started.atZone(ZoneOffset.UTC)));
        machine.put("cpu", cpu());
        machine.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        machine.put("kernel", read("/proc/sys/kernel/osrelease"));
        machine.put("jdk", System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"));
        machine.put("libvirt", libvirtVersion);
        machine.put("libvirt-java", "0.5.3 (JNA " + jnaVersion() + ")");
        machine.put("load average (1 min) per repetition", loadRange());
    }

    private static String jnaVersion() {
        try {
            return com.sun.jna.Native.VERSION;
        } catch (Throwable t) {
            return "?";
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String cpu() {
        for (String line : read("/proc/cpuinfo").split("\n")) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).strip();
            }
        }
        return "?";
    }

    private String loadRange() {
        double min = loads.stream().mapToDouble(l -> l[0]).min().orElse(-1);
        double max = loads.stream().mapToDouble(l -> l[0]).max().orElse(-1);
        return String.format(Locale.ROOT, "%.1f-%.1f", min, max);
    }

    /** other's median / libstorage's median: above 1, libstorage is faster. */
    static double ratio(Phase phase, Role role) {
        Contender mine = phase.of(Role.LIBSTORAGE);
        Contender other = phase.of(role);
        if (mine == null || other == null || other.samples().isEmpty() || mine.samples().isEmpty()) {
            return Double.NaN;
        }
        return other.medianMillis() / mine.medianMillis();
    }

    private static String time(Contender c) {
        if (c == null) {
            return "";
        }
        if (c.samples().isEmpty()) {
            return c.failure() == null ? "not run" : "failed";
        }
        return millis(c.medianMillis()) + " (" + millis(c.minMillis()) + ")";
    }

    private static String millis(double ms) {
        if (ms >= 1000) {
            return String.format(Locale.ROOT, "%.2f s", ms / 1000);
        }
        if (ms >= 10) {
            return String.format(Locale.ROOT, "%.0f ms", ms);
        }
        if (ms >= 0.1) {
            return String.format(Locale.ROOT, "%.2f ms", ms);
        }
        return String.format(Locale.ROOT, "%.1f µs", ms * 1000);
    }

    private static String ratioText(double r) {
        return Double.isNaN(r) ? "" : r >= 10 ? String.format(Locale.ROOT, "%.0f×", r) : String.format(Locale.ROOT, "%.2f×", r);
    }

    void print(PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "bin/bench compare, %s: %s, %s cores, kernel %s, %s, libvirt %s; load average %s (shared machine)%n",
                machine.get("date"), machine.get("cpu"), machine.get("cores"), machine.get("kernel"), machine.get("jdk"),
                libvirtVersion, machine.get("load average (1 min) per repetition"));
        out.printf(Locale.ROOT, "median (min) of %d repetitions after %d warm-up; ratio = other's median ÷ libstorage's"
                + " (above 1: libstorage is faster; the floor's is below 1)%n%n", options.reps(), options.warmup());
        out.println("| phase | libstorage | peer | peer | peer ÷ libstorage | syscall floor | floor ÷ libstorage |");
        out.println("|---|---|---|---|---|---|---|");
        for (Phase phase : phases) {
            Contender mine = phase.of(Role.LIBSTORAGE);
            Contender peer = phase.of(Role.PEER);
            Contender floor = phase.of(Role.FLOOR);
            String perOp = phase.ops() > 1 && !mine.samples().isEmpty()
                    ? " = " + millis(mine.medianMillis() / phase.ops()) + " each" : "";
            out.printf(Locale.ROOT, "| %s | %s%s | %s | %s | %s | %s | %s |%n", phase.title(),
                    time(mine), perOp, peer == null ? "" : peer.name(), time(peer), ratioText(ratio(phase, Role.PEER)),
                    time(floor), ratioText(ratio(phase, Role.FLOOR)));
        }
        for (Phase phase : phases) {
            for (Contender c : phase.contenders()) {
                if (c.failure() != null) {
                    out.printf("%s, %s: %s%n", phase.title(), c.name(), c.failure());
                }
            }
        }
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("machine", machine);
        root.put("note", "a 2-core VM shared with other engineers' builds and tests: read the ratios, not the absolute times");
        root.put("repetitions", options.reps());
        root.put("warmup", options.warmup());
        root.put("loadAverages", loads);
        List<Object> list = new ArrayList<>();
        for (Phase phase : phases) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("id", phase.id());
            p.put("title", phase.title());
            p.put("operations", phase.ops());
            List<Object> cs = new ArrayList<>();
            for (Contender c : phase.contenders()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", c.name());
                m.put("role", c.role().name().toLowerCase(Locale.ROOT));
                m.put("samplesMillis", c.samples().stream().map(n -> Math.round(n / 1e3) / 1e3).toList());
                if (!c.samples().isEmpty()) {
                    m.put("medianMillis", c.medianMillis());
                    m.put("minMillis", c.minMillis());
                }
                if (c.failure() != null) {
                    m.put("failure", c.failure());
                }
                cs.add(m);
            }
            p.put("contenders", cs);
            putRatio(p, "peerOverLibstorage", ratio(phase, Role.PEER));
            putRatio(p, "floorOverLibstorage", ratio(phase, Role.FLOOR));
            list.add(p);
        }
        root.put("phases", list);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
    }

    private static void putRatio(Map<String, Object> p, String key, double r) {
        if (!Double.isNaN(r)) {
            p.put(key, Math.round(r * 1000) / 1000.0);
        }
    }

    /**
     * Horizontal bars on a log scale, one group per phase: the peer's time ÷ libstorage's and
     * the syscall floor's ÷ libstorage's. The line at 1 is libstorage; a bar to its right means
     * the other took longer.
     */
    void writeSvg(Path file) throws IOException {
        int left = 300;
        int width = 560;
        int rowHeight = 16;
        int groupGap = 10;
        int top = 70;
        double lo = 0.01;
        double hi = 100;
        for (Phase phase : phases) {
            for (Role role : List.of(Role.PEER, Role.FLOOR)) {
                double r = ratio(phase, role);
                if (!Double.isNaN(r)) {
                    lo = Math.min(lo, Math.pow(10, Math.floor(Math.log10(r))));
                    hi = Math.max(hi, Math.pow(10, Math.ceil(Math.log10(r))));
                }
            }
        }
        double logLo = Math.log10(lo);
        double span = Math.log10(hi) - logLo;
        int height = top + phases.size() * (2 * rowHeight + groupGap) + 60;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "font-family='sans-serif' font-size='12'>%n", left + width + 90, height));
        s.append("<rect width='100%' height='100%' fill='white'/>\n");
        s.append(text(10, 20, 14, "bold", "bin/bench compare: the other's median time ÷ libstorage's (log scale)"));
        s.append(text(10, 38, 11, "normal", String.format(Locale.ROOT,
                "%s; %s, %s cores, kernel %s, %s; libvirt %s; load %s on a shared VM; %d reps",
                machine.get("date"), machine.get("cpu"), machine.get("cores"), machine.get("kernel"), machine.get("jdk"),
                libvirtVersion, machine.get("load average (1 min) per repetition"), options.reps())));
        s.append(text(10, 54, 11, "normal", "right of 1: libstorage is faster than the peer; left of 1: the bare syscalls are faster than libstorage"));
        int bottom = height - 45;
        for (int e = (int) Math.round(logLo); e <= Math.round(Math.log10(hi)); e++) {
            double x = left + (e - logLo) / span * width;
            s.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s'/>%n",
                    x, top - 5, x, bottom, e == 0 ? "black" : "#ddd"));
            String label = e >= 0 ? String.format(Locale.ROOT, "%.0f×", Math.pow(10, e)) : String.format(Locale.ROOT, "%s×", Math.pow(10, e));
            s.append(text(x - 12, bottom + 15, 11, "normal", label));
        }
        int y = top;
        for (Phase phase : phases) {
            s.append(text(10, y + rowHeight + 4, 12, "normal", phase.title()));
            for (Role role : List.of(Role.PEER, Role.FLOOR)) {
                Contender c = phase.of(role);
                double r = ratio(phase, role);
                if (c != null && !Double.isNaN(r)) {
                    double x1 = left + (0 - logLo) / span * width;
                    double x2 = left + (Math.log10(r) - logLo) / span * width;
                    String colour = role == Role.PEER ? "#3b6fb6" : "#9a9a9a";
                    s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='%s'/>%n",
                            Math.min(x1, x2), y + 2, Math.max(1, Math.abs(x2 - x1)), rowHeight - 4, colour));
                    s.append(text(Math.max(x1, x2) + 4, y + rowHeight - 4, 11, "normal", c.name() + " " + ratioText(r)));
                }
                y += rowHeight;
            }
            y += groupGap;
        }
        s.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='12' height='10' fill='#3b6fb6'/>%n", left, bottom + 25));
        s.append(text(left + 16, bottom + 34, 11, "normal", "peer (libvirt via libvirt-java, virsh, blkid -p, lvs) ÷ libstorage"));
        s.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='12' height='10' fill='#9a9a9a'/>%n", left + 330, bottom + 25));
        s.append(text(left + 346, bottom + 34, 11, "normal", "syscall floor ÷ libstorage"));
        s.append("</svg>\n");
        Files.writeString(file, s);
    }

    private static String text(double x, double y, int size, String weight, String text) {
        String escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        return String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' font-size='%d' font-weight='%s'>%s</text>%n",
                x, y, size, weight, escaped);
    }
}
