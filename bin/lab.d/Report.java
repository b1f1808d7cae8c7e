import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Reads back the JUnit XML reports the lab guest wrote into the work tree (one directory per module) and judges the run:
 * prints each failed test with its message, stack trace and output, then one closing line with
 * the counts; exits 1 when a test failed or none ran. Run by bin/lab as a source-file program:
 * {@code java Report.java REPORTS-DIR LAUNCHER-OUTPUT KERNEL SECONDS}.
 */
public class Report {
    record Outcome(String test, String kind, String message, String detail, String output) {
    }

    public static void main(String[] args) throws Exception {
        Path reports = Path.of(args[0]);
        Path launcherOutput = Path.of(args[1]);
        String kernel = args[2];
        String seconds = args[3];
        int tests = 0;
        int skipped = 0;
        List<Outcome> failed = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.exists(reports) ? Files.walk(reports) : Stream.empty()) {
            files = s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().toList();
        }
        var factory = DocumentBuilderFactory.newInstance();
        for (Path file : files) {
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
        int passed = tests - skipped - failed.size();
        System.out.printf("lab: %d tests run in the guest (kernel %s, %s s): %d passed, %d failed, %d skipped%n",
                tests, kernel, seconds, passed, failed.size(), skipped);
        System.exit(failed.isEmpty() && tests > 0 ? 0 : 1);
    }

    private static String text(Element testcase, String tag) {
        NodeList nodes = testcase.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent();
    }
}
