package org.libstorage.xml;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Optional;
import org.libstorage.PoolDefinition;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;

/**
 * Coverage-guided fuzzing (Jazzer) of the pool and volume XML parsers: whatever the input, the
 * parser returns a definition or throws a {@link StorageException} with a code, and a definition
 * it returns can be written back; any other exception, a hang or a heap blow-up is a failure.
 *
 * <p>Run as a normal test it replays the inputs under {@code XmlFuzzTestInputs/} (crashes found
 * before, kept as regression tests). With {@code JAZZER_FUZZ=1} it fuzzes one target for
 * {@code maxDuration}; {@code bin/test} does that for each target, and {@code bin/fuzz} runs
 * longer (see the README).
 */
class XmlFuzzTest {

    @FuzzTest(maxDuration = "60s")
    @DictionaryEntries({"<pool type='", "dir", "logical", "iscsi-direct", "netfs", "</pool>", "<name>", "</name>",
        "<uuid>", "<source>", "</source>", "<target>", "</target>", "<path>", "</path>", "<host name='", "port='",
        "<device path='", "<dir path='", "<format type='", "<protocol ver='", "<auth type='chap' username='",
        "<secret usage='", "<permissions>", "<mode>", "<owner>", "<capacity unit='", "<adapter type='",
        "xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'", "<fs:mount_opts>", "<features>", "<cow state='"})
    void poolXml(byte[] input) {
        String xml = new String(input, java.nio.charset.StandardCharsets.UTF_8);
        PoolDefinition parsed;
        try {
            parsed = PoolXml.parse(xml);
        } catch (StorageException e) {
            assertNotNull(e.code());
            return;
        }
        try {
            assertNotNull(PoolXml.write(parsed, Optional.empty()));
        } catch (StorageException e) {
            assertNotNull(e.code());
        }
    }

    @FuzzTest(maxDuration = "60s")
    @DictionaryEntries({"<volume type='", "file", "block", "netdir", "</volume>", "<name>", "</name>", "<key>",
        "<capacity unit='", "</capacity>", "<allocation>", "<physical>", "<target>", "</target>", "<path>",
        "</path>", "<format type='", "qcow2", "<compat>", "<features>", "<lazy_refcounts/>", "<clusterSize unit='",
        "<nocow/>", "<encryption format='", "<secret type='passphrase' uuid='", "<cipher name='", "<ivgen name='",
        "<backingStore>", "<timestamps>", "<atime>", "<extent start='", "end='", "<source>", "<device path='"})
    void volumeXml(byte[] input) {
        String xml = new String(input, java.nio.charset.StandardCharsets.UTF_8);
        VolumeDefinition parsed;
        try {
            parsed = VolumeXml.parse(xml);
        } catch (StorageException e) {
            assertNotNull(e.code());
            return;
        }
        try {
            assertNotNull(VolumeXml.write(parsed));
        } catch (StorageException e) {
            assertNotNull(e.code());
        }
    }
}
