package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.libstorage.bindings.iscsi.iscsi_discovery_address;
import org.libstorage.bindings.iscsi.scsi_inquiry_block_limits;
import org.libstorage.bindings.iscsi.scsi_inquiry_logical_block_provisioning;
import org.libstorage.bindings.iscsi.scsi_inquiry_standard;
import org.libstorage.bindings.iscsi.scsi_readcapacity16;
import org.libstorage.bindings.iscsi.scsi_sense;
import org.libstorage.bindings.iscsi.scsi_task;
import org.libstorage.bindings.iscsi.unmap_list;

/**
 * The generated libiscsi layouts agree with the C compiler's (gcc, x86-64, libiscsi-dev 1.19:
 * sizeof/offsetof printed by a small C program). scsi_sense has bitfields jextract skips; their
 * room must stay as padding or every field after the sense in scsi_task would be misread.
 * Struct classes do not touch the library, so this runs without libiscsi installed.
 */
class IscsiLayoutTest {
    @Test
    void taskAndSenseMatchC() {
        assertEquals(176, scsi_task.sizeof());
        assertEquals(0, scsi_task.status$offset());
        assertEquals(48, scsi_task.sense$offset());
        assertEquals(64, scsi_task.datain$offset());
        assertEquals(16, scsi_sense.sizeof());
        assertEquals(4, scsi_sense.key$offset());
        assertEquals(8, scsi_sense.ascq$offset());
    }

    @Test
    void replyStructuresMatchC() {
        assertEquals(24, scsi_readcapacity16.sizeof());
        assertEquals(136, scsi_inquiry_standard.sizeof());
        assertEquals(44, scsi_inquiry_logical_block_provisioning.sizeof());
        assertEquals(88, scsi_inquiry_block_limits.sizeof());
        assertEquals(24, iscsi_discovery_address.sizeof());
        assertEquals(16, unmap_list.sizeof());
    }
}
