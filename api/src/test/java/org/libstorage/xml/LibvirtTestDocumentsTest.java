package org.libstorage.xml;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.libstorage.PoolDefinition;
import org.libstorage.VolumeDefinition;

/**
 * libvirt's own storage XML test documents (see {@code libvirt/README.md} beside them), read as
 * libvirt reads them: each parses, writes XML libvirt's RelaxNG schema accepts, and parses back
 * to an equal definition (nothing dropped, nothing changed in meaning).
 */
class LibvirtTestDocumentsTest {

    static Stream<String> pools() throws IOException, URISyntaxException {
        return documents("pool");
    }

    static Stream<String> volumes() throws IOException, URISyntaxException {
        return documents("vol");
    }

    private static Stream<String> documents(String kind) throws IOException, URISyntaxException {
        Path dir = Path.of(LibvirtTestDocumentsTest.class.getResource("libvirt/" + kind).toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".xml")).sorted().toList().stream();
        }
    }

    static String read(String kind, String name) {
        try (InputStream in = LibvirtTestDocumentsTest.class.getResourceAsStream("libvirt/" + kind + "/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pools")
    void everyPoolDocumentReadsWritesValidAndReadsBackEqual(String name) {
        PoolDefinition parsed = PoolXml.parse(read("pool", name));
        String written = PoolXml.write(parsed, Optional.empty());
        LibvirtSchemas.assertValidPool(written);
        assertEquals(parsed, PoolXml.parse(written), written);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("volumes")
    void everyVolumeDocumentReadsWritesValidAndReadsBackEqual(String name) {
        VolumeDefinition parsed = VolumeXml.parse(read("vol", name));
        String written = VolumeXml.write(parsed);
        LibvirtSchemas.assertValidVolume(written);
        assertEquals(parsed, VolumeXml.parse(written), written);
    }

    // ---- the classes of defects libvirt's documents showed, one assertion each ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("pools")
    void targetNamesAreKeptAsWritten(String name) {
        String xml = read("pool", name);
        PoolDefinition parsed = PoolXml.parse(xml);
        if (xml.contains("demo-target")) {
            // Not iqn./eui./naa.: libvirt takes any string as the target name.
            assertTrue(PoolXml.write(parsed, Optional.empty()).contains("<device path=\"demo-target\"/>")
                    || PoolXml.write(parsed, Optional.empty()).contains("<device path='demo-target'/>"),
                    PoolXml.write(parsed, Optional.empty()));
        }
        if (xml.contains("<protocol ver='4.1'/>")) {
            assertEquals(Optional.of("4.1"), parsed.source().protocolVersion());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("volumes")
    void volumeElementsSurviveTheRoundTrip(String name) {
        String xml = read("vol", name);
        VolumeDefinition parsed = VolumeXml.parse(xml);
        String written = VolumeXml.write(parsed);
        if (xml.contains("gluster://example.com/vol/dir")) {
            assertTrue(written.contains("gluster://example.com/vol/dir"), "a URL path is not a file path: " + written);
        }
        if (xml.contains("<features/>") || xml.contains("<lazy_refcounts/>")) {
            // <features>, even empty, means qcow2 compat 1.1 (or the level given): never dropped.
            assertTrue(parsed.target().compat().isPresent(), "the compat level of " + name);
            assertTrue(written.contains("<compat>" + parsed.target().compat().get() + "</compat>"), written);
        }
        if (xml.contains("<lazy_refcounts/>")) {
            assertTrue(written.contains("<lazy_refcounts/>"), written);
        }
        if (xml.contains("<format type='qcow2'/>") && !xml.contains("<capacity")) {
            assertTrue(parsed.capacity() == 0, "no capacity is read as unknown (0), as libvirt does for clones");
        }
    }
}
