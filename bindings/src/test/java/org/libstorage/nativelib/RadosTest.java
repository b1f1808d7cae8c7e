package org.libstorage.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** librados and librbd without a cluster: loading, and a connect that can only time out. */
class RadosTest {
    @Test
    void bothLibrariesLoadByTheirSonames() {
        assertTrue(Rados.instance().isAvailable(), Rados.instance().unavailableReason().orElse(""));
        assertTrue(Rbd.instance().isAvailable(), Rbd.instance().unavailableReason().orElse(""));
        assertTrue(Rados.instance().version().matches("\\d+\\.\\d+\\.\\d+"));
        assertTrue(Rbd.instance().version().matches("\\d+\\.\\d+\\.\\d+"));
    }

    @Test
    void aMonitorNobodyRunsIsETIMEDOUTWithinTheTimeout() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Rados.Config config = new Rados.Config(List.of("v2:127.0.0.1:" + port), "admin",
                Optional.of("AQBQ6lRlAAAAABAAoJXJQy7pQ1Ku4wFAkhr6Vg==".getBytes(StandardCharsets.US_ASCII)), Map.of(),
                Duration.ofSeconds(2));
        NativeCallException e = assertThrows(NativeCallException.class, () -> Rados.instance().connect(config));
        assertEquals("rados_connect", e.function());
        assertEquals("ETIMEDOUT", e.errnoName());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
    }

    @Test
    void configsNeverShowTheKey() {
        Rados.Config config = new Rados.Config(List.of("m"), "admin", Optional.of("SECRET".getBytes(StandardCharsets.US_ASCII)),
                Map.of(), Duration.ofSeconds(1));
        assertFalse(config.toString().contains("SECRET"));
        assertThrows(IllegalArgumentException.class, () -> new Rados.Config(List.of(), "admin", Optional.empty(),
                Map.of(), Duration.ofSeconds(1)));
    }
}
