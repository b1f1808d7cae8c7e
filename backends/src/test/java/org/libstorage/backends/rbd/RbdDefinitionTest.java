package org.libstorage.backends.rbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.StorageException;
import org.libstorage.nativelib.NativeCallException;
import org.libstorage.xml.PoolXml;

/** What an rbd pool's libvirt XML becomes, and how librbd's errnos read, without a cluster. */
class RbdDefinitionTest {
    private static PoolDefinition parse(String source) {
        return PoolXml.parse("<pool type='rbd'><name>ceph</name><source>" + source + "</source></pool>");
    }

    @Test
    void libvirtsSourceNamesThePoolTheNamespaceAndTheMonitors() {
        RbdBackend.Endpoint e = RbdBackend.Endpoint.of(parse("""
                <name>rbd/tenant1</name>
                <host name='10.0.0.1'/><host name='10.0.0.2' port='6789'/><host name='mon3' port='3300'/>
                <host name='::1' port='40000'/>
                <auth type='ceph' username='libvirt'><secret usage='client.libvirt secret'/></auth>"""));
        assertEquals("rbd", e.pool());
        assertEquals(Optional.of("tenant1"), e.namespace());
        assertEquals("rbd/tenant1", e.spec());
        assertEquals(List.of("10.0.0.1", "10.0.0.2:6789", "v2:mon3:3300", "v2:[::1]:40000"), e.monitors());
        assertEquals("libvirt", e.user());
    }

    @Test
    void definitionsCephCannotServeAreRefusedBeforeAnyNetworkCall() {
        for (String source : List.of("<name>a/b/c</name><host name='m'/>",
                "<name>rbd</name>", "<name>rbd</name><host name='m'/><auth type='chap' username='u'><secret usage='s'/></auth>",
                "<name>..</name><host name='m'/>")) {
            StorageException e = assertThrows(StorageException.class, () -> RbdBackend.Endpoint.of(parse(source)), source);
            assertEquals(ErrorCode.INVALID_DEFINITION, e.code(), source);
        }
    }

    @Test
    void aKeyIsTakenAsCephPrintsItOrEncodedFromRawBytes() {
        String printed = "AQBQ6lRlAAAAABAAoJXJQy7pQ1Ku4wFAkhr6Vg==";
        assertArrayEquals(printed.getBytes(StandardCharsets.US_ASCII),
                RbdBackend.Endpoint.cephKey((printed + "\n").getBytes(StandardCharsets.US_ASCII)));
        byte[] raw = Base64.getDecoder().decode(printed);
        assertArrayEquals(printed.getBytes(StandardCharsets.US_ASCII), RbdBackend.Endpoint.cephKey(raw));
    }

    @Test
    void errnosBecomeErrorCodes() {
        assertEquals(ErrorCode.VOLUME_EXISTS, code("rbd_create4", 17, "EEXIST"));
        assertEquals(ErrorCode.NO_SUCH_VOLUME, code("rbd_open", 2, "ENOENT"));
        assertEquals(ErrorCode.NO_SUCH_POOL, code("rados_ioctx_create", 2, "ENOENT"));
        assertEquals(ErrorCode.NO_SPACE, code("rbd_write2", 28, "ENOSPC"));
        assertEquals(ErrorCode.NO_SPACE, code("rbd_write2", 122, "EDQUOT"));
        assertEquals(ErrorCode.PERMISSION_DENIED, code("rados_connect", 13, "EACCES"));
        assertEquals(ErrorCode.PERMISSION_DENIED, code("rados_connect", 1, "EPERM"));
        assertEquals(ErrorCode.TIMEOUT, code("rados_connect", 110, "ETIMEDOUT"));
        assertEquals(ErrorCode.IO_ERROR, code("rbd_write2", 110, "ETIMEDOUT"));
        assertEquals(ErrorCode.VOLUME_BUSY, code("rbd_remove_with_progress", 16, "EBUSY"));
        StorageException e = RbdErrors.map(new NativeCallException("librados.so.2", "rados_connect", 110, "ETIMEDOUT",
                "Connection timed out (monitors v2:10.0.0.9:3300)"), "pool 'ceph'", "pool-start", "v2:10.0.0.9:3300");
        assertTrue(e.getMessage().contains("v2:10.0.0.9:3300") && e.getMessage().contains("rados_connect"), e.getMessage());
    }

    private static ErrorCode code(String function, int errno, String name) {
        return RbdErrors.map(new NativeCallException("librbd.so.1", function, errno, name, "text"), "volume 'v'",
                "op", "m").code();
    }

    @Test
    void theBackendSaysWhichLibrariesItUses() {
        var status = new RbdBackend().status();
        assertTrue(status.available(), status.toString());
        assertTrue(status.toString().contains("librbd"), status.toString());
    }
}
