package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** LVM's JSON reports as LVM 2.03 prints them, read by the code both runners share. */
class LvmReportTest {
    @Test
    void rowsAndCommandLogAreRead() {
        // As printed by "lvs --segments --units b --nosuffix -o ..." with log/report_command_log=1.
        String text = """
                  {
                      "report": [
                          {
                              "seg": [
                                  {"lv_uuid":"yahIE4-HHF1-3YuD-O3sy-uE8O-C0Yw-e5XKQK", "lv_name":"lv1", "lv_size":"8388608", "origin":""}
                              ]
                          }
                      ]
                      ,
                      "log": [
                      ]
                  }
                """;

        LvmReport report = LvmReport.parse(text);

        LvmReport.Row row = report.section("seg").getFirst();
        assertEquals("lv1", row.text("lv_name"));
        assertEquals(8388608L, row.number("lv_size"));
        assertEquals("", row.text("origin"));
        assertEquals(List.of(), report.log());
    }

    @Test
    void aFailureLogWithLvmsTrailingCommaIsRead() {
        // lvcreate ends its log array with "}," before "]": Jackson reads it with ALLOW_TRAILING_COMMA.
        String text = """
                  {
                      "log": [
                          {"log_seq_num":"1", "log_type":"error", "log_context":"processing", "log_object_type":"vg", "log_object_name":"vgx", "log_object_id":"", "log_object_group":"", "log_object_group_id":"", "log_message":"Logical Volume \\"lv1\\" already exists in volume group \\"vgx\\"", "log_errno":"-1", "log_ret_code":"0"},
                          {"log_seq_num":"2", "log_type":"status", "log_context":"processing", "log_object_type":"vg", "log_object_name":"vgx", "log_object_id":"", "log_object_group":"", "log_object_group_id":"", "log_message":"failure", "log_errno":"-1", "log_ret_code":"5"},
                      ]
                  }
                """;

        LvmReport report = LvmReport.parse(text);

        assertEquals(2, report.log().size());
        LvmReport.LogRow error = report.errors().getFirst();
        assertEquals("vg", error.objectType());
        assertEquals("vgx", error.objectName());
        assertEquals(-1, error.errno());
        assertEquals(5, report.log().get(1).returnCode());
        assertEquals(Optional.of("Logical Volume \"lv1\" already exists in volume group \"vgx\""), report.firstError());
    }

    @Test
    void noReportAtAllIsEmptyAndBrokenJsonIsAnError() {
        assertEquals(LvmReport.EMPTY, LvmReport.parse(""));
        assertThrows(IllegalArgumentException.class, () -> LvmReport.parse("{\"report\": [ {\"vg\": [ {\"vg_name\": "));
    }

    @Test
    void lvmMessagesAreClassifiedIntoErrorCodes() {
        record Case(String message, org.libstorage.ErrorCode code) {
        }
        List<Case> cases = List.of(
                new Case("Volume group \"vg\" has insufficient free space (13 extents): 256 required.",
                        org.libstorage.ErrorCode.NO_SPACE),
                new Case("Insufficient free space: 256 extents needed, but only 13 available",
                        org.libstorage.ErrorCode.NO_SPACE),
                new Case("Logical Volume \"data\" already exists in volume group \"vg\"",
                        org.libstorage.ErrorCode.VOLUME_EXISTS),
                new Case("A volume group called vg already exists.", org.libstorage.ErrorCode.POOL_EXISTS),
                new Case("Physical volume '/dev/loop3' is already in volume group 'vg'",
                        org.libstorage.ErrorCode.DEVICE_BUSY),
                new Case("Volume group \"vg\" not found", org.libstorage.ErrorCode.NO_SUCH_POOL),
                new Case("Failed to find logical volume \"vg/lv\"", org.libstorage.ErrorCode.NO_SUCH_VOLUME),
                new Case("Logical volume name \"bad name\" is invalid.", org.libstorage.ErrorCode.INVALID_ARGUMENT),
                new Case("Can't create thin without using device-mapper kernel driver.",
                        org.libstorage.ErrorCode.OPERATION_UNSUPPORTED),
                new Case("thin-pool: Required device-mapper target(s) not detected in your kernel.",
                        org.libstorage.ErrorCode.OPERATION_UNSUPPORTED),
                new Case("Cannot activate thin pool vg/pool0.", org.libstorage.ErrorCode.OPERATION_UNSUPPORTED),
                new Case("Something else", org.libstorage.ErrorCode.COMMAND_FAILED));
        LvmOutput output = new LvmOutput(List.of("lvcreate"), false, false, "", List.of(), s -> new RuntimeException(s));
        for (Case c : cases) {
            assertEquals(c.code(), Lvm.classify(output, List.of(c.message()), new RuntimeException()), c.message());
        }
    }
}
