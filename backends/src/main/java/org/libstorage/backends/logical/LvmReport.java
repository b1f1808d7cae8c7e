package org.libstorage.backends.logical;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.libstorage.fallback.Json;

/**
 * LVM's {@code --reportformat json} output, read with Jackson: the report rows of each section
 * ({@code vg}, {@code lv}, {@code pv}, {@code seg}, {@code pvseg}) and the command log
 * ({@code log/report_command_log=1}), whose rows name the object, message, errno and return
 * code of each failure.
 */
record LvmReport(List<Row> rows, List<LogRow> log) {
    /** LVM 2.03 ends the log array with a trailing comma after some commands. */
    private static final ObjectReader READER = Json.reader().with(JsonReadFeature.ALLOW_TRAILING_COMMA);

    static final LvmReport EMPTY = new LvmReport(List.of(), List.of());

    LvmReport {
        rows = List.copyOf(rows);
        log = List.copyOf(log);
    }

    /** One row of a report section; fields as LVM printed them (text). */
    record Row(String section, JsonNode fields) {
        String text(String field) {
            return Json.text(fields, field).orElse("");
        }

        long number(String field) {
            OptionalLong value = Json.longValue(fields, field);
            return value.orElse(0);
        }
    }

    /** One row of LVM's command log report. */
    record LogRow(String type, String objectType, String objectName, String message, int errno, int returnCode) {
        boolean isError() {
            return type.equals("error");
        }

        @Override
        public String toString() {
            return (objectType.isEmpty() ? "" : objectType + " " + objectName + ": ") + message;
        }
    }

    /** The rows of one section, such as {@code "lv"}. */
    List<Row> section(String name) {
        return rows.stream().filter(r -> r.section().equals(name)).toList();
    }

    List<LogRow> errors() {
        return log.stream().filter(LogRow::isError).toList();
    }

    /**
     * Parses a report. Text outside the JSON object (LVM indents it, and the in-process engine
     * may print more than one object) is skipped.
     *
     * @throws IllegalArgumentException when the text holds no valid report
     */
    static LvmReport parse(String text) {
        List<Row> rows = new ArrayList<>();
        List<LogRow> log = new ArrayList<>();
        int start = text.indexOf('{');
        if (start < 0) {
            return EMPTY;
        }
        try {
            MappingIterator<JsonNode> values = READER.forType(JsonNode.class).readValues(text.substring(start));
            while (values.hasNextValue()) {
                JsonNode root = values.nextValue();
                for (JsonNode report : root.path("report")) {
                    report.properties().forEach(section -> {
                        for (JsonNode row : section.getValue()) {
                            rows.add(new Row(section.getKey(), row));
                        }
                    });
                }
                for (JsonNode row : root.path("log")) {
                    log.add(new LogRow(Json.text(row, "log_type").orElse(""),
                            Json.text(row, "log_object_type").orElse(""), Json.text(row, "log_object_name").orElse(""),
                            Json.text(row, "log_message").orElse(""), (int) Json.longValue(row, "log_errno").orElse(0),
                            (int) Json.longValue(row, "log_ret_code").orElse(0)));
                }
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("LVM printed a report that is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("LVM's report could not be read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (e.getCause() instanceof JsonProcessingException jpe) {
                throw new IllegalArgumentException("LVM printed a report that is not valid JSON: " + jpe.getOriginalMessage(), e);
            }
            throw e;
        }
        return new LvmReport(rows, log);
    }

    /** The first error message in the log, for messages. */
    Optional<String> firstError() {
        return errors().stream().map(LogRow::message).filter(m -> !m.equals("failure")).findFirst();
    }
}
