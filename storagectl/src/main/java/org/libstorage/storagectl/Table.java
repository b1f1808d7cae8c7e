package org.libstorage.storagectl;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table laid out as virsh lays out its lists: a heading, a rule, left-aligned columns. */
final class Table {
    private static final int RULE_LIMIT = 80;

    private final List<String> headings;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... headings) {
        this.headings = List.of(headings);
    }

    Table row(String... cells) {
        if (cells.length != headings.size()) {
            throw new IllegalArgumentException("expected " + headings.size() + " cells, got " + cells.length);
        }
        rows.add(List.of(cells));
        return this;
    }

    void print(PrintWriter out) {
        int[] widths = new int[headings.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = headings.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        String heading = line(headings, widths);
        List<String> lines = rows.stream().map(row -> line(row, widths)).toList();
        int longest = Math.max(heading.length(), lines.stream().mapToInt(String::length).max().orElse(0));
        out.println(heading);
        // The rule spans the table, but stops at a terminal's usual width when long notes would stretch it.
        out.println("-".repeat(Math.min(longest + 1, Math.max(heading.length() + 1, RULE_LIMIT))));
        lines.forEach(out::println);
        out.flush();
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            line.append(' ').append(cells.get(c));
            if (c < cells.size() - 1) {
                line.append(" ".repeat(widths[c] - cells.get(c).length() + 2));
            }
        }
        return line.toString().stripTrailing();
    }
}
