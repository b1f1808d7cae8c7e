package org.libstorage.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.StorageException;

/**
 * Documents crafted to make a parser read files, fetch URLs or exhaust memory are refused before
 * anything is read. A local listening socket stands in for the outside world and counts every
 * connection made to it.
 */
class HostileXmlTest {
    private ServerSocket server;
    private Thread acceptor;
    private final AtomicInteger requests = new AtomicInteger();
    private String base;

    @BeforeEach
    void startServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (Socket connection = server.accept()) {
                    requests.incrementAndGet();
                } catch (IOException closed) {
                    return;
                }
            }
        });
        base = "http://127.0.0.1:" + server.getLocalPort();
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
        acceptor.join();
    }

    @Test
    void refusesAnExternalEntityReadingEtcPasswd() {
        String xml = """
                <?xml version="1.0"?>
                <!DOCTYPE pool [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
                <pool type='dir'><name>&secret;</name><target><path>/p</path></target></pool>
                """;

        StorageException e = assertThrows(StorageException.class, () -> PoolXml.parse(xml));

        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertFalse(e.getMessage().contains("root:"), "nothing of /etc/passwd may surface: " + e.getMessage());
    }

    @Test
    void refusesAnExternalEntityOverHttpWithoutFetchingIt() {
        String xml = "<!DOCTYPE pool [ <!ENTITY x SYSTEM \"" + base + "/entity\"> ]>"
                + "<pool type='dir'><name>&x;</name><target><path>/p</path></target></pool>";

        StorageException e = assertThrows(StorageException.class, () -> PoolXml.parse(xml));

        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertEquals(0, requests.get(), "the parser must not fetch anything");
    }

    @Test
    void refusesAnExternalDtdWithoutFetchingIt() {
        String xml = "<!DOCTYPE volume SYSTEM \"" + base + "/volume.dtd\">"
                + "<volume><name>v</name><capacity>1</capacity></volume>";

        StorageException e = assertThrows(StorageException.class, () -> VolumeXml.parse(xml));

        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertEquals(0, requests.get(), "the parser must not fetch the DTD");
    }

    @Test
    void refusesAParameterEntityWithoutFetchingIt() {
        String xml = "<!DOCTYPE pool [ <!ENTITY % remote SYSTEM \"" + base + "/param\"> %remote; ]>"
                + "<pool type='dir'><name>p</name><target><path>/p</path></target></pool>";

        assertThrows(StorageException.class, () -> PoolXml.parse(xml));
        assertEquals(0, requests.get());
    }

    @Test
    void refusesBillionLaughs() {
        StringBuilder dtd = new StringBuilder("<!DOCTYPE pool [ <!ENTITY lol0 \"lol\">");
        for (int i = 1; i <= 10; i++) {
            String previous = "&lol" + (i - 1) + ";";
            dtd.append("<!ENTITY lol").append(i).append(" \"").append(previous.repeat(10)).append("\">");
        }
        String xml = dtd + "]><pool type='dir'><name>&lol10;</name><target><path>/p</path></target></pool>";

        StorageException e = assertThrows(StorageException.class, () -> PoolXml.parse(xml));

        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
    }

    @Test
    void ignoresXIncludeInsteadOfFollowingIt() {
        String xml = """
                <pool type='dir' xmlns:xi='http://www.w3.org/2001/XInclude'>
                  <name>p</name>
                  <xi:include href='%s/include' parse='text'/>
                  <target><path>/p</path></target>
                </pool>
                """.formatted(base);

        PoolDefinition pool = PoolXml.parse(xml);

        assertEquals("p", pool.name());
        assertEquals(0, requests.get(), "XInclude must not be processed");
    }

    @Test
    void refusesAbsurdlyDeepNesting() {
        String xml = "<pool type='dir'><name>p</name>" + "<x>".repeat(500) + "</x>".repeat(500) + "</pool>";

        StorageException e = assertThrows(StorageException.class, () -> PoolXml.parse(xml));

        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertTrue(e.getMessage().contains("nested"), e.getMessage());
    }

    @Test
    void refusesAnEmptyDocument() {
        StorageException e = assertThrows(StorageException.class, () -> PoolXml.parse("  "));

        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
    }
}
