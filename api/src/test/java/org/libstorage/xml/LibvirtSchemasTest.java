package org.libstorage.xml;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The schema check the other tests rely on really rejects what libvirt's schemas reject. */
class LibvirtSchemasTest {

    @Test
    void rejectsADirPoolWithoutTarget() {
        assertFalse(LibvirtSchemas.errors("storagepool.rng", "<pool type='dir'><name>p</name></pool>").isEmpty());
    }

    @Test
    void rejectsAnUnknownUnit() {
        assertFalse(LibvirtSchemas.errors("storagevol.rng",
                "<volume><name>v</name><capacity unit='parsecs'>1</capacity><target/></volume>").isEmpty());
    }

    @Test
    void acceptsAMinimalDirPool() {
        assertTrue(LibvirtSchemas.errors("storagepool.rng",
                "<pool type='dir'><name>p</name><target><path>/p</path></target></pool>").isEmpty());
    }
}
