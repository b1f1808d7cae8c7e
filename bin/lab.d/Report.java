import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Reads back the JUnit XML reports the lab guest wrote into the work tree (one directory per module) and judges the run:
 * prints each failed test with its message, stack trace and output, then one closing line with
 * the counts; exits 1 when a test failed, none ran, or a module's JVM did not end with status 0
 * (a JVM that crashes or aborts, even after its tests passed, is a failure: its report may be
 * missing or cut short). Run by bin/lab as a source-file program:
 * {@code java Report.java REPORTS-DIR LAUNCHER-OUTPUT KERNEL SECONDS JVM-EXIT-FILE MODULE...},
 * the JVM-EXIT-FILE holding one line "MODULE STATUS" per JVM that ended.
 */
public class Report {
    record Outcome(String test, String kind, String message, String detail, String output) {
    }

    public static void main(String[] args) throws Exception {
        Path reports = Path.of(args[0]);
        Path launcherOutput = Path.of(args[1]);
        String kernel = args[2];
        String seconds = args[3];
        Path jvmExit = Path.of(args[4]);
        List<String> modules = Arrays.asList(args).subList(5, args.length);
        int tests = 0;
        int skipped = 0;
        List<Outcome> failed = new ArrayList<>();
        Set<String> modulesReporting = new HashSet<>();
        Set<String> modulesFailing = new HashSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.exists(reports) ? Files.walk(reports) : Stream.empty()) {
            files = s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().toList();
        }
        var factory = DocumentBuilderFactory.newInstance();
        for (Path file : files) {
            String module = reports.relativize(file).getName(0).toString();
            modulesReporting.add(module);
            NodeList cases = factory.newDocumentBuilder().parse(file.toFile()).getElementsByTagName("testcase");
            for (int i = 0; i < cases.getLength(); i++) {
                Element c = (Element) cases.item(i);
                tests++;
                if (c.getElementsByTagName("skipped").getLength() > 0) {
                    skipped++;
                }
                for (String kind : List.of("failure", "error")) {
                    NodeList problems = c.getElementsByTagName(kind);
                    if (problems.getLength() > 0) {
                        Element p = (Element) problems.item(0);
                        modulesFailing.add(module);
                        failed.add(new Outcome(c.getAttribute("classname") + "." + c.getAttribute("name"), kind,
                                p.getAttribute("message"), p.getTextContent(), text(c, "system-out") + text(c, "system-err")));
                    }
                }
            }
        }
        for (Outcome o : failed) {
            System.out.println("lab: FAILED " + o.test() + " (" + o.kind() + "): " + o.message());
            System.out.println(o.detail().strip());
            if (!o.output().isBlank()) {
                System.out.println("--- output of " + o.test());
                System.out.println(o.output().strip());
            }
            System.out.println();
        }
        if (files.isEmpty() && Files.exists(launcherOutput)) {
            System.out.println("lab: no reports; the launcher said:");
            System.out.println(Files.readString(launcherOutput));
        }
        Map<String, Integer> exits = new HashMap<>();
        if (Files.exists(jvmExit)) {
            for (String line : Files.readAllLines(jvmExit)) {
                String[] words = line.strip().split(" ");
                if (words.length == 2) {
                    exits.put(words[0], Integer.parseInt(words[1]));
                }
            }
        }
        List<String> deaths = new ArrayList<>();
        for (String module : modules) {
            Integer code = exits.get(module);
            if (code == null) {
                deaths.add(module + ": its JVM never ended (the guest stopped first)");
            } else if (!modulesReporting.contains(module)) {
                deaths.add(module + ": its JVM exited " + code + " without writing a report");
            } else if (code != 0 && !modulesFailing.contains(module)) {
                // The launcher says 1 for failed tests; any other end with all tests passed is a death.
                deaths.add(module + ": its JVM exited " + code + (code > 128 ? " (signal " + (code - 128) + ")" : "")
                        + " although every test it reported passed: it died during or after its tests");
            }
        }
        if (!deaths.isEmpty() && !files.isEmpty() && Files.exists(launcherOutput)) {
            List<String> lines = Files.readAllLines(launcherOutput);
            System.out.println("lab: the end of the launchers' output:");
            lines.subList(Math.max(0, lines.size() - 25), lines.size()).forEach(System.out::println);
        }
        deaths.forEach(d -> System.out.println("lab: FAILED " + d));
        int passed = tests - skipped - failed.size();
        System.out.printf("lab: %d tests run in the guest (kernel %s, %s s): %d passed, %d failed, %d skipped%s%n",
                tests, kernel, seconds, passed, failed.size(), skipped,
                deaths.isEmpty() ? "" : "; " + deaths.size() + " JVM(s) died");
        System.exit(failed.isEmpty() && deaths.isEmpty() && tests > 0 ? 0 : 1);
    }

    private static String text(Element testcase, String tag) {
        NodeList nodes = testcase.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent();
    }
}
