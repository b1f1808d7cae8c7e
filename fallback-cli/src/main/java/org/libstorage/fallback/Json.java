package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Parsing the JSON that tools print (qemu-img {@code --output=json}, lvm
 * {@code --reportformat json}, zfs/parted). One reader configured once; {@link ObjectReader}
 * is immutable and thread-safe, so nothing here can be reconfigured by a caller.
 */
public final class Json {
    private static final ObjectReader READER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build()
            .reader();

    private Json() {
    }

    /** The shared reader, for binding to records: {@code Json.reader().forType(X.class).readValue(text)}. */
    public static ObjectReader reader() {
        return READER;
    }

    /** Parses {@code text} as a JSON tree; throws {@link UncheckedIOException} when it is not JSON. */
    public static JsonNode tree(String text) {
        try {
            return READER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Parses a command's stdout as a JSON tree; throws {@link CommandException} with reason
     * {@code BAD_OUTPUT} (keeping argv and stderr) when it is not JSON.
     */
    public static JsonNode tree(CommandResult result) {
        try {
            JsonNode node = READER.readTree(result.stdout());
            if (node == null || node.isMissingNode()) {
                throw badOutput(result, "printed no JSON", null);
            }
            return node;
        } catch (JsonProcessingException e) {
            throw badOutput(result, "printed output that is not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }

    /** A {@code BAD_OUTPUT} failure of {@code result}: {@code problem} completes "argv ...". */
    public static CommandException badOutput(CommandResult result, String problem, Throwable cause) {
        return new CommandException(result.argv(), CommandException.Reason.BAD_OUTPUT,
                OptionalInt.of(result.exitStatus()), result.stderr().strip(),
                Command.displayOf(result.argv()) + " " + problem, cause);
    }

    /** A text field; absent when missing or null. Numbers and booleans are given as text. */
    public static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || value.isContainerNode() ? Optional.empty() : Optional.of(value.asText());
    }

    /**
     * An integer field, written as a JSON number or as a decimal string (LVM prints
     * {@code "1073741824"} with {@code --units b --nosuffix}); absent when missing, null,
     * empty or not an integer.
     */
    public static OptionalLong longValue(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return OptionalLong.empty();
        }
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return OptionalLong.of(value.longValue());
        }
        if (value.isTextual()) {
            try {
                return OptionalLong.of(Long.parseLong(value.textValue().strip()));
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }

    /** A boolean field, written as a JSON boolean; absent when missing or of another type. */
    public static Optional<Boolean> booleanValue(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isBoolean() ? Optional.of(value.booleanValue()) : Optional.empty();
    }
}
