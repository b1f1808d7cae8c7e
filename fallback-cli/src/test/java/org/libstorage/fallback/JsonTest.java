package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void readsLvmStyleNumbersWrittenAsStrings() {
        JsonNode row = Json.tree("{\"vg_name\":\"vg0\",\"vg_size\":\"1073741824\",\"vg_free\":\"\",\"pv_count\":2}");

        assertEquals(Optional.of("vg0"), Json.text(row, "vg_name"));
        assertEquals(OptionalLong.of(1073741824L), Json.longValue(row, "vg_size"));
        assertEquals(OptionalLong.of(2), Json.longValue(row, "pv_count"));
        assertEquals(OptionalLong.empty(), Json.longValue(row, "vg_free"));
        assertEquals(OptionalLong.empty(), Json.longValue(row, "absent"));
    }

    @Test
    void unparsableToolOutputIsBadOutputWithTheArgv() {
        CommandResult result = new CommandResult(List.of("qemu-img", "info", "--output=json", "x"), 0,
                "qemu-img: warning\n{", "", Duration.ZERO);

        CommandException e = assertThrows(CommandException.class, () -> QemuImg.parseInfo(result));

        assertEquals(CommandException.Reason.BAD_OUTPUT, e.reason());
        assertEquals(result.argv(), e.argv());
    }

    @Test
    void parsesQemuImgInfo() {
        String json = """
                {"backing-filename-format": "raw", "virtual-size": 10485760, "filename": "a.qcow2",
                 "cluster-size": 65536, "format": "qcow2", "actual-size": 200704,
                 "format-specific": {"type": "qcow2", "data": {"compat": "1.1", "corrupt": false}},
                 "full-backing-filename": "/p/a.raw", "backing-filename": "a.raw", "dirty-flag": false}
                """;

        QemuImg.ImageInfo info = QemuImg.parseInfo(new CommandResult(List.of("qemu-img"), 0, json, "", Duration.ZERO));

        assertEquals(new QemuImg.ImageInfo("qcow2", 10485760, OptionalLong.of(200704), OptionalLong.of(65536),
                Optional.of("a.raw"), Optional.of("/p/a.raw"), Optional.of("raw"), false, Optional.of("1.1"), false,
                false), info);
    }
}
