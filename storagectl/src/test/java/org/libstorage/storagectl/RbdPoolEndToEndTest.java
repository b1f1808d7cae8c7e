package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.Storage;
import org.libstorage.testing.CephCluster;

/**
 * An rbd pool driven through the command line, against the one-node test cluster: the cephx
 * key comes from the configuration's secrets directory, as a user would put it there.
 */
class RbdPoolEndToEndTest {
    @TempDir
    Path tmp;

    private final Cli cli = new Cli(Storage::open, false);
    private CephCluster ceph;
    private String cephPool;
    private Path config;

    private Cli.Result run(String... args) {
        return cli.runIn(config, args);
    }

    private Cli.Result ok(String... args) {
        Cli.Result r = run(args);
        assertEquals(0, r.status(), () -> String.join(" ", args) + "\n" + r);
        return r;
    }

    @BeforeEach
    void defineThePool() throws Exception {
        ceph = CephCluster.shared();
        cephPool = ceph.createPool();
        config = tmp.resolve("config");
        writeSecret(ceph.adminKey());
        Path xml = tmp.resolve("ceph.xml");
        Files.writeString(xml, """
                <pool type='rbd'>
                  <name>ceph</name>
                  <source>
                    <name>%s</name>
                    <host name='127.0.0.1' port='%d'/>
                    <auth type='ceph' username='admin'><secret usage='ceph-admin'/></auth>
                  </source>
                </pool>
                """.formatted(cephPool, ceph.port()));
        ok("pool-define", xml.toString());
    }

    private void writeSecret(String key) throws Exception {
        Path secret = Files.createDirectories(config.resolve("secrets")).resolve("ceph-admin");
        Files.writeString(secret, key);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    void removeThePool() throws Exception {
        ceph.ceph("osd", "pool", "rm", cephPool, cephPool, "--yes-i-really-really-mean-it");
    }

    @Test
    void everyVolumeVerbOnACephPool() throws Exception {
        assertEquals("Pool ceph started\n", ok("pool-start", "ceph").out());
        assertEquals("Vol disk created\n", ok("vol-create-as", "ceph", "disk", "16MiB").out());
        assertEquals("rbd:" + cephPool + "/disk\n", ok("vol-path", "disk", "--pool", "ceph").out());
        assertEquals(cephPool + "/disk\n", ok("vol-key", "disk", "--pool", "ceph").out());
        assertEquals("disk\n", ok("vol-name", cephPool + "/disk").out());

        byte[] data = new byte[1 << 20];
        new Random(5).nextBytes(data);
        Path in = tmp.resolve("in.raw");
        Files.write(in, data);
        ok("vol-upload", "disk", in.toString(), "--pool", "ceph", "--offset", "4MiB");
        Path out = tmp.resolve("out.raw");
        ok("vol-download", "disk", out.toString(), "--pool", "ceph", "--offset", "4MiB", "--length", "1MiB");
        assertArrayEquals(data, Files.readAllBytes(out));

        ok("vol-clone", "disk", "copy", "--pool", "ceph");
        assertTrue(ceph.rbd("info", cephPool + "/copy").contains("parent: " + cephPool + "/disk@"));
        ok("vol-resize", "disk", "32MiB", "--pool", "ceph");
        assertTrue(ok("vol-info", "disk", "--pool", "ceph").out().contains("32.00 MiB"),
                ok("vol-info", "disk", "--pool", "ceph").out());
        ok("vol-wipe", "copy", "--pool", "ceph");
        ok("vol-download", "copy", out.toString(), "--pool", "ceph", "--offset", "4MiB", "--length", "1MiB");
        assertArrayEquals(new byte[data.length], Files.readAllBytes(out));
        String list = ok("vol-list", "ceph").out();
        assertTrue(list.contains("rbd:" + cephPool + "/copy") && list.contains("rbd:" + cephPool + "/disk"), list);

        Cli.Result busy = run("vol-delete", "disk", "--pool", "ceph");
        assertEquals(4, busy.status(), busy.toString());
        ok("vol-delete", "copy", "--pool", "ceph");
        ok("vol-delete", "disk", "--pool", "ceph");
        assertEquals("", ceph.rbd("ls", cephPool).strip());
        ok("pool-stop", "ceph");
    }

    @Test
    void aWrongKeyExitsWithThePermissionStatus() throws Exception {
        writeSecret("AQBQ6lRlAAAAABAAoJXJQy7pQ1Ku4wFAkhr6Vg==");
        Cli.Result denied = run("pool-start", "ceph");
        assertEquals(8, denied.status(), denied.toString());
        assertTrue(denied.err().contains("refused access"), denied.err());
    }
}
