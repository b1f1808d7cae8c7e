package org.libstorage.storagectl;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.Storage;

/**
 * Every verb a directory pool supports, run in-process through the command line against the
 * real library and dir backend, in a pool and configuration under a temporary directory.
 */
class DirPoolEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final Cli cli = new Cli(Storage::open, false);
    private Path config;
    private Path poolDir;

    private Cli.Result run(String... args) {
        return cli.runIn(config, args);
    }

    private Cli.Result ok(String... args) {
        Cli.Result r = run(args);
        assertEquals(0, r.status(), () -> String.join(" ", args) + "\n" + r);
        assertEquals("", r.err(), r::toString);
        return r;
    }

    private Cli.Result fails(int status, String... args) {
        Cli.Result r = run(args);
        assertEquals(status, r.status(), () -> String.join(" ", args) + "\n" + r);
        List<String> lines = r.err().lines().toList();
        boolean usageHint = lines.size() == 2 && lines.get(1).startsWith("Try 'storagectl ");
        assertTrue(lines.size() == 1 || usageHint, "one line (and a usage hint): " + r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        return r;
    }

    @BeforeEach
    void definePool() {
        config = tmp.resolve("config");
        poolDir = tmp.resolve("images");
        ok("pool-define-as", "images", "dir", "--target", poolDir.toString());
    }

    private void startPool() {
        ok("pool-build", "images");
        ok("pool-start", "images");
    }

    @Test
    void aSparseImageLargerThanTheFreeSpaceUploadsWhenItsDataFits() throws IOException {
        startPool();
        long size = Files.getFileStore(tmp).getUsableSpace() + (1L << 30);
        ok("vol-create-as", "images", "big.img", Long.toString(size));
        Path sparse = tmp.resolve("sparse.raw");
        try (var ch = java.nio.channels.FileChannel.open(sparse, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap("head".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 0);
            ch.write(java.nio.ByteBuffer.wrap("tail".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), size - 4);
        }

        // Counting every byte as data it would not fit; its data (two blocks) does.
        assertTrue(ok("vol-upload", "big.img", sparse.toString(), "--pool", "images").err().isEmpty());

        try (var ch = java.nio.channels.FileChannel.open(poolDir.resolve("big.img"))) {
            var tail = java.nio.ByteBuffer.allocate(4);
            ch.read(tail, size - 4);
            assertEquals("tail", new String(tail.array(), java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    @Test
    void poolLifecycleFromDefinitionToUndefine() throws IOException {
        assertEquals("", ok("pool-list").out().lines().skip(2).reduce("", String::concat), "inactive pools are hidden");
        assertTrue(ok("pool-list", "--all").out().contains(" images   inactive   no"));
        assertEquals("Pool images built\n", ok("pool-build", "images").out());
        assertTrue(Files.isDirectory(poolDir));
        assertEquals("Pool images started\n", ok("pool-start", "images").out());
        assertTrue(ok("pool-list").out().contains(" images   active   no"));

        String info = ok("pool-info", "images").out();
        assertTrue(info.contains("State:          running\n"), info);
        JsonNode json = JSON.readTree(ok("--json", "pool-info", "images").out());
        assertTrue(json.get("capacity").asLong() > 0);
        assertTrue(json.get("available").asLong() <= json.get("capacity").asLong());
        JsonNode list = JSON.readTree(ok("pool-list", "--all", "--json").out());
        assertEquals("images", list.get(0).get("name").asText());
        String details = ok("pool-list", "--details").out();
        assertTrue(details.contains(" images   running   no          yes          "), details);

        String xml = ok("pool-dumpxml", "images").out();
        assertTrue(xml.contains("<path>" + poolDir + "</path>"), xml);
        LibvirtSchemas.assertValidPool(xml);
        LibvirtSchemas.assertValidPool(ok("pool-dumpxml", "images", "--inactive").out());

        assertEquals("Pool images marked as autostarted\n", ok("pool-autostart", "images").out());
        assertTrue(ok("pool-info", "images").out().contains("Autostart:      yes"));
        ok("pool-autostart", "images", "--disable");
        assertTrue(ok("pool-info", "images").out().contains("Autostart:      no"));

        String uuid = ok("pool-uuid", "images").out().strip();
        assertEquals("images\n", ok("pool-name", uuid).out());

        fails(5, "pool-undefine", "images");
        assertEquals("Pool images stopped\n", ok("pool-destroy", "images").out());
        assertEquals("Pool images deleted\n", ok("pool-delete", "images").out());
        assertFalse(Files.exists(poolDir));
        assertEquals("Pool images has been undefined\n", ok("pool-undefine", "images").out());
        fails(3, "pool-info", "images");
    }

    @Test
    void poolDefineReadsWhatPoolDumpXmlWrote() throws IOException {
        Path xml = Files.writeString(tmp.resolve("copy.xml"), ok("pool-dumpxml", "images", "--inactive").out()
                .replace("<name>images</name>", "<name>again</name>")
                .replaceAll("<uuid>.*</uuid>", "")
                .replace(poolDir.toString(), tmp.resolve("again").toString()));
        assertEquals("Pool again defined from " + xml + "\n", ok("pool-define", xml.toString()).out());
        ok("pool-start", "again", "--build");
        assertTrue(Files.isDirectory(tmp.resolve("again")));
    }

    @Test
    void volumesFromCreationToDeletion() throws IOException, InterruptedException {
        startPool();
        assertEquals("Vol sparse.img created\n", ok("vol-create-as", "images", "sparse.img", "1GiB").out());
        Path sparse = poolDir.resolve("sparse.img");
        assertEquals(1L << 30, Files.size(sparse));
        assertEquals(0, VolumeVerbsTest.allocatedBytes(sparse), "a new volume is sparse");

        ok("vol-create-as", "images", "full.img", "8MiB", "--allocation", "8MiB");
        assertTrue(VolumeVerbsTest.allocatedBytes(poolDir.resolve("full.img")) >= 8L << 20, "preallocated");

        ok("vol-create-as", "images", "disk.qcow2", "2G", "--format", "qcow2");
        byte[] magic = Arrays.copyOf(Files.readAllBytes(poolDir.resolve("disk.qcow2")), 4);
        assertArrayEquals(new byte[] {'Q', 'F', 'I', (byte) 0xfb}, magic, "a qcow2 header");

        Path volXml = Files.writeString(tmp.resolve("vol.xml"),
                "<volume><name>fromxml.img</name><capacity unit='MiB'>16</capacity></volume>");
        assertEquals("Vol fromxml.img created from " + volXml + "\n", ok("vol-create", "images", volXml.toString()).out());
        assertEquals(16L << 20, Files.size(poolDir.resolve("fromxml.img")));

        String list = ok("vol-list", "images").out();
        for (String name : List.of("disk.qcow2", "fromxml.img", "full.img", "sparse.img")) {
            assertTrue(list.contains(" " + name + " "), list);
        }
        JsonNode json = JSON.readTree(ok("vol-list", "images", "--details", "--json").out());
        assertEquals(4, json.size());
        assertEquals("qcow2", json.get(0).get("format").asText());
        assertEquals(2L << 30, json.get(0).get("capacity").asLong());
        assertTrue(ok("vol-list", "images", "--details").out().contains("   file   2.00 GiB   "));

        String info = ok("vol-info", "disk.qcow2", "--pool", "images").out();
        assertTrue(info.contains("Format:         qcow2\n") && info.contains("Capacity:       2.00 GiB\n"), info);
        assertEquals(sparse + "\n", ok("vol-path", "sparse.img", "--pool", "images").out());
        String key = ok("vol-key", "sparse.img", "--pool", "images").out().strip();
        assertEquals("sparse.img\n", ok("vol-name", key).out());
        assertEquals("images\n", ok("vol-pool", sparse.toString()).out());
        assertEquals("sparse.img\n", ok("vol-name", poolDir.resolve("../images/./sparse.img").toString()).out(),
                "any spelling of the path finds the volume");

        for (String name : List.of("sparse.img", "disk.qcow2", "full.img")) {
            String xml = ok("vol-dumpxml", name, "--pool", "images").out();
            LibvirtSchemas.assertValidVolume(xml);
        }

        assertEquals("Vol full.img deleted\n", ok("vol-delete", "full.img", "--pool", "images").out());
        assertFalse(Files.exists(poolDir.resolve("full.img")));
        ok("vol-delete", sparse.toString());
        assertFalse(Files.exists(sparse));
    }

    @Test
    void uploadCloneDownloadKeepTheDataAndTheHoles() throws IOException, InterruptedException {
        startPool();
        ok("vol-create-as", "images", "a.img", "64MiB");
        byte[] data = new byte[3 << 20];
        new Random(7).nextBytes(data);
        Path in = Files.write(tmp.resolve("in.bin"), data);
        ok("vol-upload", "a.img", in.toString(), "--pool", "images", "--offset", "16MiB");

        assertEquals("Vol b.img cloned from a.img\n", ok("vol-clone", "a.img", "b.img", "--pool", "images").out());
        assertTrue(VolumeVerbsTest.allocatedBytes(poolDir.resolve("b.img")) < 8L << 20, "the clone of a sparse volume stays sparse");

        Path whole = tmp.resolve("whole.bin");
        ok("vol-download", "b.img", whole.toString(), "--pool", "images", "--sparse");
        assertEquals(64L << 20, Files.size(whole));
        assertTrue(VolumeVerbsTest.allocatedBytes(whole) < 8L << 20, "--sparse leaves holes in the file");
        byte[] back = new byte[data.length];
        try (var ch = Files.newByteChannel(whole)) {
            ch.position(16L << 20).read(java.nio.ByteBuffer.wrap(back));
        }
        assertArrayEquals(data, back);

        Path part = tmp.resolve("part.bin");
        ok("vol-download", "b.img", part.toString(), "--pool", "images", "--offset", "16MiB", "--length", "1MiB");
        assertArrayEquals(Arrays.copyOf(data, 1 << 20), Files.readAllBytes(part));

        fails(4, "vol-clone", "a.img", "b.img", "--pool", "images");

        Path volXml = Files.writeString(tmp.resolve("c.xml"),
                "<volume><name>c.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>");
        ok("pool-define-as", "other", "dir", "--target", tmp.resolve("other").toString());
        ok("pool-start", "other", "--build");
        assertEquals("Vol c.qcow2 created from input vol a.img\n",
                ok("vol-create-from", "other", volXml.toString(), "a.img", "--inputpool", "images").out());
        // vol-download reads a volume's file as it is (as virsh does), so convert back to raw to compare.
        Path rawXml = Files.writeString(tmp.resolve("d.xml"),
                "<volume><name>d.img</name><capacity unit='MiB'>64</capacity><target><format type='raw'/></target></volume>");
        ok("vol-create-from", "images", rawXml.toString(), "c.qcow2", "--inputpool", "other");
        Path back2 = tmp.resolve("d.bin");
        ok("vol-download", "d.img", back2.toString(), "--pool", "images", "--offset", "16MiB", "--length", "3MiB");
        assertArrayEquals(data, Files.readAllBytes(back2), "raw to qcow2 and back keeps the data");
    }

    @Test
    void qcow2OverlayOnABackingVolume() throws IOException {
        startPool();
        ok("vol-create-as", "images", "base.img", "1G");
        assertEquals("Vol over.qcow2 created\n", ok("vol-create-as", "images", "over.qcow2", "1G",
                "--backing-vol", "base.img", "--backing-vol-format", "raw").out());
        String xml = ok("vol-dumpxml", "over.qcow2", "--pool", "images").out();
        assertTrue(xml.contains("<backingStore>") && xml.contains("<path>" + poolDir.resolve("base.img") + "</path>"), xml);
        LibvirtSchemas.assertValidVolume(xml);
        JsonNode json = JSON.readTree(ok("--json", "vol-info", "over.qcow2", "--pool", "images").out());
        assertEquals("qcow2", json.get("format").asText());
        assertEquals(poolDir.resolve("base.img").toString(), json.get("backingStore").get("path").asText());
        assertTrue(ok("vol-info", "over.qcow2", "--pool", "images").out().contains("Backing:        " + poolDir.resolve("base.img")));
    }

    @Test
    void resizeWipeSnapshot() throws IOException {
        startPool();
        ok("vol-create-as", "images", "a.img", "1G");
        Path a = poolDir.resolve("a.img");
        ok("vol-resize", "a.img", "2G", "--pool", "images");
        assertEquals(2L << 30, Files.size(a));
        fails(2, "vol-resize", "a.img", "1G", "--pool", "images");
        assertEquals(2L << 30, Files.size(a), "no shrink without --shrink");
        ok("vol-resize", "a.img", "-512M", "--pool", "images", "--delta", "--shrink");
        assertEquals(1536L << 20, Files.size(a));
        ok("vol-resize", "a.img", "+512M", "--pool", "images", "--delta");
        assertEquals(2L << 30, Files.size(a));

        Path in = Files.writeString(tmp.resolve("secret.txt"), "secret data");
        ok("vol-upload", "a.img", in.toString(), "--pool", "images");
        assertEquals("Vol a.img wiped\n", ok("vol-wipe", "a.img", "--pool", "images").out());
        byte[] head = new byte[11];
        try (var ch = Files.newByteChannel(a)) {
            ch.read(java.nio.ByteBuffer.wrap(head));
        }
        assertArrayEquals(new byte[11], head, "zeroed");
        ok("vol-wipe", "a.img", "--pool", "images", "--algorithm", "trim");
        ok("vol-create-as", "images", "small.img", "4MiB");
        ok("vol-wipe", "small.img", "--pool", "images", "--algorithm", "random");
        assertTrue(Files.readAllBytes(poolDir.resolve("small.img"))[4095] != 0
                || Files.readAllBytes(poolDir.resolve("small.img"))[4096] != 0, "random data written");
        fails(2, "vol-wipe", "a.img", "--pool", "images", "--algorithm", "dod");

        assertEquals("Vol a-snap created as a snapshot of a.img\n",
                ok("vol-snapshot", "a.img", "a-snap", "--pool", "images").out());
        assertTrue(Files.exists(poolDir.resolve("a-snap")));
        LibvirtSchemas.assertValidVolume(ok("vol-dumpxml", "a-snap", "--pool", "images").out());
    }

    @Test
    void badInputChangesNothing() throws IOException {
        startPool();
        fails(2, "vol-create-as", "images", "../escape.img", "1G");
        fails(2, "vol-create-as", "images", "zero.img", "0");
        fails(3, "vol-info", "ghost.img", "--pool", "images");
        fails(3, "vol-info", "ghost.img");
        fails(2, "pool-define-as", "bad/name", "dir", "--target", tmp.resolve("x").toString());
        fails(4, "pool-define-as", "images", "dir", "--target", tmp.resolve("y").toString());
        try (var files = Files.list(poolDir)) {
            assertEquals(0, files.count(), "nothing was created");
        }
        assertFalse(Files.exists(tmp.resolve("escape.img")));
    }

    @Test
    void hostVerbsRunAgainstTheRealLibrary() throws IOException {
        JsonNode backends = JSON.readTree(ok("backends", "--json").out());
        JsonNode dir = null;
        for (JsonNode b : backends) {
            if (b.get("type").asText().equals("dir")) {
                dir = b;
            }
        }
        assertTrue(dir != null && dir.get("available").asBoolean(), backends.toString());
        assertTrue(ok("backends").out().contains(" dir "));
        ok("host-devices");
        assertTrue(JSON.readTree(ok("host-devices", "--json").out()).isArray());
        Cli.Result sources = run("find-pool-sources", "dir");
        assertEquals(6, sources.status(), sources::toString);
        assertTrue(sources.err().contains("find-pool-sources"), sources.err());
        String text = "<source><host name='127.0.0.1' port='3260'/></source>";
        Path spec = Files.writeString(tmp.resolve("spec.xml"), text, StandardCharsets.UTF_8);
        Cli.Result withSpec = run("find-pool-sources", "dir", spec.toString());
        assertEquals(6, withSpec.status(), withSpec::toString);
    }
}
