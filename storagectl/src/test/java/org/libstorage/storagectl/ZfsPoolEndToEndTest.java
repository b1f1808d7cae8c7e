package org.libstorage.storagectl;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.Storage;
import org.libstorage.nativelib.Fd;
import org.libstorage.nativelib.Libc;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.Requirements;
import org.libstorage.testing.RequiresKernel;

/**
 * Every verb a zfs pool supports, through the command line against the real library, on a
 * ZFS pool built on a loop device (in a kernel with ZFS: the lab).
 */
@RequiresKernel(KernelFeature.ZFS)
class ZfsPoolEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final Cli cli = new Cli(Storage::open, false);

    private Cli.Result run(String... args) {
        return cli.runIn(tmp.resolve("config"), args);
    }

    private Cli.Result ok(String... args) {
        Cli.Result r = run(args);
        assertEquals(0, r.status(), () -> String.join(" ", args) + "\n" + r);
        return r;
    }

    private Cli.Result fails(int status, String... args) {
        Cli.Result r = run(args);
        assertEquals(status, r.status(), () -> String.join(" ", args) + "\n" + r);
        assertTrue(r.err().startsWith("error: "), r.err());
        return r;
    }

    @Test
    void everyVerbOnAZfsPool() throws Exception {
        Requirements.requireRoot("a ZFS pool on a loop device");
        Requirements.requireLoopDevices();
        String name = "lszfs" + UUID.randomUUID().toString().substring(0, 8);
        Path image = tmp.resolve("vdev.img");
        try (Fd fd = Libc.instance().open(image, Libc.O_RDWR | Libc.O_CREAT, 0600)) {
            Libc.instance().ftruncate(fd, 256L << 20);
        }
        try (LoopDevice loop = LoopDevices.attach(image, false)) {
            try {
                ok("pool-define-as", name, "zfs", "--source-name", name, "--source-dev", loop.path().toString());
                ok("pool-build", name);
                ok("pool-start", name);
                String poolXml = ok("pool-dumpxml", name).out();
                assertTrue(poolXml.contains("<name>" + name + "</name>") && poolXml.contains("<capacity"), poolXml);
                LibvirtSchemas.assertValidPool(poolXml);

                ok("vol-create-as", name, "disk", "32MiB", "--allocation", "0");
                ok("vol-create-as", name, "full", "16MiB", "--allocation", "16MiB");
                JsonNode list = JSON.readTree(ok("--json", "vol-list", name, "--details").out());
                assertEquals(2, list.size(), list.toString());
                assertEquals(name + "/disk", ok("vol-key", "disk", "--pool", name).out().strip());

                byte[] data = new byte[2 << 20];
                new Random(3).nextBytes(data);
                Path in = Files.write(tmp.resolve("in.bin"), data);
                ok("vol-upload", "disk", in.toString(), "--pool", name, "--offset", "4MiB");
                ok("vol-snapshot", "disk", "snap", "--pool", name);
                ok("vol-clone", "disk", "copy", "--pool", name);
                Path out = tmp.resolve("out.bin");
                ok("vol-download", "copy", out.toString(), "--pool", name, "--offset", "4MiB", "--length", "2MiB");
                assertArrayEquals(data, Files.readAllBytes(out));
                String cloneXml = ok("vol-dumpxml", "copy", "--pool", name).out();
                assertTrue(cloneXml.contains("<backingStore>") && cloneXml.contains(name + "/disk@copy"), cloneXml);
                for (String volume : List.of("disk", "full", "snap", "copy")) {
                    LibvirtSchemas.assertValidVolume(ok("vol-dumpxml", volume, "--pool", name).out());
                }

                String busy = fails(4, "vol-delete", "disk", "--pool", name).err();
                assertTrue(busy.contains(name + "/copy") && busy.contains(name + "/snap"), busy);
                ok("vol-resize", "full", "24MiB", "--pool", name);
                fails(2, "vol-resize", "full", "8MiB", "--pool", name);
                ok("vol-resize", "full", "8MiB", "--pool", name, "--shrink");
                assertTrue(ok("vol-info", "full", "--pool", name).out().contains("8.00 MiB"));
                ok("vol-wipe", "copy", "--pool", name);
                ok("vol-download", "copy", out.toString(), "--pool", name, "--offset", "4MiB", "--length", "2MiB");
                assertArrayEquals(new byte[data.length], Files.readAllBytes(out));
                fails(2, "vol-create-as", name, "bad%name", "1MiB");
                for (String volume : List.of("copy", "snap", "disk", "full")) {
                    ok("vol-delete", volume, "--pool", name);
                }
                ok("pool-refresh", name);
                assertEquals(0, JSON.readTree(ok("--json", "vol-list", name).out()).size());

                ok("pool-stop", name);
                ok("pool-delete", name);
                ok("pool-undefine", name);
            } finally {
                quietly("zpool", "destroy", "-f", name);
            }
        }
    }

    private static void quietly(String... argv) throws IOException, InterruptedException {
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                .waitFor();
    }
}
