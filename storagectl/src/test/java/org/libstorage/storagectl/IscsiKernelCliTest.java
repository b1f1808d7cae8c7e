package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.Storage;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.Requirements;
import org.libstorage.testing.RequiresKernel;
import org.libstorage.testing.Tgtd;

/**
 * A kernel {@code iscsi} pool driven from the command line, as an administrator would: the
 * targets at a portal, a CHAP-protected pool defined from libvirt XML, started, listed, a file
 * uploaded onto a LUN and downloaded back bit for bit, and the faults' exit statuses. tgtd runs
 * on 127.0.0.1; needs the kernel initiator and iscsid (the kernel lab).
 */
@RequiresKernel(KernelFeature.ISCSI_INITIATOR)
class IscsiKernelCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;
    Tgtd tgtd;
    Path config;
    private final Cli cli = new Cli(Storage::open, false);

    @BeforeEach
    void target() throws Exception {
        Requirements.requireCommand("iscsiadm", "open-iscsi");
        tgtd = Tgtd.start(tmp);
        config = tmp.resolve("config");
        Path secret = Files.createDirectories(config.resolve("secrets")).resolve("cli-chap");
        Files.writeString(secret, "Cli-Chap-Secret-7\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    void stop() throws Exception {
        if (tgtd == null) {
            return;
        }
        try {
            run("pool-stop", "cli-san");
        } finally {
            tgtd.close();
        }
    }

    private Cli.Result run(String... args) {
        return cli.runIn(config, args);
    }

    private Cli.Result ok(String... args) {
        Cli.Result r = run(args);
        assertEquals(0, r.status(), () -> String.join(" ", args) + "\n" + r);
        return r;
    }

    private Path xml(String iqn, String user) throws Exception {
        Path file = tmp.resolve("cli-san.xml");
        Files.writeString(file, """
                <pool type='iscsi'>
                  <name>cli-san</name>
                  <source>
                    <host name='127.0.0.1' port='%d'/>
                    <device path='%s'/>
                    <auth type='chap' username='%s'><secret usage='cli-chap'/></auth>
                  </source>
                  <target><path>/dev/disk/by-path</path></target>
                </pool>
                """.formatted(tgtd.port(), iqn, user));
        return file;
    }

    @Test
    void defineStartListUploadDownloadStop() throws Exception {
        Path backing = Tgtd.backing(tmp, "lun.img", 4 * MIB);
        String iqn = tgtd.target(1, "cli", backing);
        tgtd.chap(1, "bob", "Cli-Chap-Secret-7");

        JsonNode sources = JSON.readTree(ok("--json", "find-pool-sources", "iscsi", "--host", "127.0.0.1",
                "--port", Integer.toString(tgtd.port())).out());
        assertTrue(sources.toString().contains(iqn), sources::toString);

        ok("pool-define", xml(iqn, "bob").toString());
        ok("pool-start", "cli-san");
        JsonNode volumes = JSON.readTree(ok("--json", "vol-list", "cli-san").out());
        assertEquals(1, volumes.size(), volumes::toString);
        assertEquals("unit:0:0:1", volumes.get(0).get("name").asText());

        byte[] data = new byte[(int) (4 * MIB)];
        new Random(5).nextBytes(data);
        Path in = Files.write(tmp.resolve("in.raw"), data);
        ok("vol-upload", "unit:0:0:1", in.toString(), "--pool", "cli-san");
        assertArrayEquals(data, Files.readAllBytes(backing));
        Path out = tmp.resolve("out.raw");
        ok("vol-download", "unit:0:0:1", out.toString(), "--pool", "cli-san");
        assertArrayEquals(data, Files.readAllBytes(out));

        ok("pool-stop", "cli-san");
        assertTrue(ok("pool-info", "cli-san").out().contains("inactive"));
    }

    @Test
    void faultsExitWithTheirStatus() throws Exception {
        String iqn = tgtd.target(1, "cli-guarded", Tgtd.backing(tmp, "lun.img", MIB));
        tgtd.chap(1, "bob", "Cli-Chap-Secret-7");
        ok("pool-define", xml(iqn, "mallory").toString());
        Cli.Result denied = run("pool-start", "cli-san");
        assertEquals(8, denied.status(), denied::toString);
        assertTrue(denied.err().startsWith("error: The target rejected the login"), denied.err());

        ok("pool-undefine", "cli-san");
        ok("pool-define", xml(Tgtd.IQN_PREFIX + "absent", "bob").toString());
        Cli.Result missing = run("pool-start", "cli-san");
        assertEquals(3, missing.status(), missing::toString);
        assertTrue(missing.err().contains("offers no target"), missing.err());
    }
}
