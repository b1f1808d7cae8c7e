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
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;

/** The volume verbs, run through the command line against a fake storage. */
class VolumeVerbsTest {
    private final FakeStorage storage = new FakeStorage();
    private final Cli cli = new Cli(storage);

    @TempDir
    Path tmp;

    private Path poolDir;

    private Cli.Result ok(String... args) {
        Cli.Result r = cli.run(args);
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err(), r::toString);
        return r;
    }

    private VolumeDefinition volume(String name) {
        return storage.pools.get("p").volumes.get(name).definition;
    }

    @BeforeEach
    void startPool() {
        poolDir = tmp.resolve("pool");
        ok("pool-define-as", "p", "dir", "--target", poolDir.toString());
        ok("pool-start", "p");
    }

    @Test
    void volCreateAsReadsSizesAndFormats() {
        assertEquals("Vol a.img created\n", ok("vol-create-as", "p", "a.img", "10G").out());
        assertEquals(10L << 30, volume("a.img").capacity());
        assertEquals(OptionalLong.empty(), volume("a.img").allocation(), "sparse unless asked");

        ok("vol-create-as", "p", "b.img", "512MiB", "--allocation", "512MiB");
        assertEquals(OptionalLong.of(512L << 20), volume("b.img").allocation());

        ok("vol-create-as", "p", "c.qcow2", "1.5GiB", "--format", "qcow2");
        assertEquals(Optional.of(VolumeFormat.QCOW2), volume("c.qcow2").format());
        assertEquals(1536L << 20, volume("c.qcow2").capacity());

        ok("vol-create-as", "p", "overlay.qcow2", "10G", "--backing-vol", "a.img", "--backing-vol-format", "raw");
        VolumeDefinition overlay = volume("overlay.qcow2");
        assertEquals(Optional.of(VolumeFormat.QCOW2), overlay.format(), "a backing volume implies qcow2");
        assertEquals(poolDir.resolve("a.img"), overlay.backingStore().orElseThrow().path());
        assertEquals(Optional.of(VolumeFormat.RAW), overlay.backingStore().orElseThrow().format());
    }

    @Test
    void volCreateAsRefusesBadInputBeforeTouchingThePool() {
        Cli.Result size = cli.run("vol-create-as", "p", "a.img", "10parsecs");
        assertEquals(2, size.status());
        assertTrue(size.err().startsWith("error: Invalid value for positional parameter at index 2 (CAPACITY): "
                + "'10parsecs' has the unknown unit 'parsecs'"), size.err());
        Cli.Result name = cli.run("vol-create-as", "p", "../escape", "1G");
        assertEquals(2, name.status());
        assertEquals("error: The volume name '../escape' is invalid: it contains '/'.\n", name.err());
        Cli.Result orphan = cli.run("vol-create-as", "p", "a.img", "1G", "--backing-vol-format", "raw");
        assertEquals(2, orphan.status());
        assertTrue(orphan.err().contains("--backing-vol-format needs --backing-vol"), orphan.err());
        assertTrue(storage.pools.get("p").volumes.isEmpty());
    }

    @Test
    void volCreateAsPrintXmlValidates() {
        String xml = ok("vol-create-as", "p", "a.qcow2", "1G", "--format", "qcow2", "--allocation", "0", "--print-xml").out();
        LibvirtSchemas.assertValidVolume(xml);
        assertTrue(storage.pools.get("p").volumes.isEmpty());
    }

    @Test
    void volCreateReadsLibvirtXml() throws IOException {
        Path file = Files.writeString(tmp.resolve("vol.xml"), """
                <volume><name>x.img</name><capacity unit='MiB'>64</capacity>
                <target><format type='raw'/></target></volume>""");
        assertEquals("Vol x.img created from " + file + "\n", ok("vol-create", "p", file.toString()).out());
        assertEquals(64L << 20, volume("x.img").capacity());
    }

    @Test
    void volCreateFromCopiesAcrossPools() throws IOException {
        ok("vol-create-as", "p", "src.img", "1M");
        ok("pool-define-as", "q", "dir", "--target", tmp.resolve("q").toString());
        ok("pool-start", "q");
        Path file = Files.writeString(tmp.resolve("vol.xml"), "<volume><name>dst.img</name><capacity>1048576</capacity></volume>");
        assertEquals("Vol dst.img created from input vol src.img\n",
                ok("vol-create-from", "q", file.toString(), "src.img", "--inputpool", "p").out());
        assertTrue(storage.pools.get("q").volumes.containsKey("dst.img"));
    }

    @Test
    void volListInTableDetailsAndJson() throws IOException {
        ok("vol-create-as", "p", "a.img", "1G");
        ok("vol-create-as", "p", "b.img", "2M", "--allocation", "2M");
        assertEquals(" Name    Path\n"
                + "-" .repeat(10 + poolDir.resolve("a.img").toString().length()) + "\n"
                + " a.img   " + poolDir.resolve("a.img") + "\n"
                + " b.img   " + poolDir.resolve("b.img") + "\n", ok("vol-list", "p").out());
        String details = ok("vol-list", "p", "--details").out();
        assertTrue(details.contains(" b.img   " + poolDir.resolve("b.img") + "   file   2.00 MiB   2.00 MiB"), details);
        JsonNode json = new ObjectMapper().readTree(ok("vol-list", "p", "--json").out());
        assertEquals("a.img", json.get(0).get("name").asText());
        assertEquals(1L << 30, json.get(0).get("capacity").asLong());
        assertEquals("raw", json.get(0).get("format").asText());
        assertEquals(poolDir.resolve("a.img").toString(), json.get(0).get("key").asText());
    }

    @Test
    void volumesAreFoundByNameWithPoolOrByKeyOrPath() {
        ok("vol-create-as", "p", "a.img", "1G");
        String path = poolDir.resolve("a.img").toString();
        assertEquals(path + "\n", ok("vol-path", "a.img", "--pool", "p").out());
        assertEquals(path + "\n", ok("vol-key", "a.img", "--pool", "p").out());
        assertEquals("a.img\n", ok("vol-name", path).out());
        assertEquals("p\n", ok("vol-pool", path).out());
        assertEquals(storage.pools.get("p").uuid + "\n", ok("vol-pool", path, "--uuid").out());
        assertEquals("a.img\n", ok("vol-name", poolDir.resolve("x/../a.img").toString()).out());

        Cli.Result byName = cli.run("vol-path", "a.img");
        assertEquals(3, byName.status());
        assertEquals("error: No volume has the key or path 'a.img'; to find it by name, name its pool with --pool POOL.\n",
                byName.err());
        Cli.Result missing = cli.run("vol-info", "b.img", "--pool", "p");
        assertEquals(3, missing.status());
        assertTrue(missing.err().contains("Pool 'p' has no volume named 'b.img'"), missing.err());
    }

    @Test
    void volCloneDeleteAndSnapshot() {
        ok("vol-create-as", "p", "a.img", "1G");
        assertEquals("Vol b.img cloned from a.img\n", ok("vol-clone", "a.img", "b.img", "--pool", "p").out());
        Cli.Result again = cli.run("vol-clone", "a.img", "b.img", "--pool", "p");
        assertEquals(4, again.status());
        assertEquals("Vol snap.img created as a snapshot of a.img\n",
                ok("vol-snapshot", "a.img", "snap.img", "--pool", "p").out());
        assertEquals("Vol b.img deleted\n", ok("vol-delete", poolDir.resolve("b.img").toString()).out());
        assertFalse(storage.pools.get("p").volumes.containsKey("b.img"));
    }

    @Test
    void volResizeGrowsShrinksOnlyWhenAskedAndTakesDeltas() {
        ok("vol-create-as", "p", "a.img", "1G");
        assertEquals("Size of volume 'a.img' successfully changed to 2.00 GiB (2147483648 bytes)\n",
                ok("vol-resize", "a.img", "2G", "--pool", "p").out());
        Cli.Result shrink = cli.run("vol-resize", "a.img", "1G", "--pool", "p");
        assertEquals(2, shrink.status());
        assertEquals(2L << 30, volume("a.img").capacity());
        ok("vol-resize", "a.img", "1G", "--pool", "p", "--shrink");
        assertEquals(1L << 30, volume("a.img").capacity());
        ok("vol-resize", "a.img", "512M", "--pool", "p", "--delta");
        assertEquals(1536L << 20, volume("a.img").capacity());
        ok("vol-resize", "a.img", "-1G", "--pool", "p", "--delta", "--shrink");
        assertEquals(512L << 20, volume("a.img").capacity());
        Cli.Result negative = cli.run("vol-resize", "a.img", "-1G", "--pool", "p");
        assertEquals(2, negative.status());
        assertTrue(negative.err().contains("A negative capacity needs --delta"), negative.err());
        Cli.Result belowZero = cli.run("vol-resize", "a.img", "-1G", "--pool", "p", "--delta", "--shrink");
        assertEquals(2, belowZero.status());
        ok("vol-resize", "a.img", "1G", "--pool", "p", "--allocate");
        assertEquals(OptionalLong.of(1L << 30), volume("a.img").allocation());
    }

    @Test
    void volWipeTakesVirshsAlgorithmNames() {
        ok("vol-create-as", "p", "a.img", "1M");
        assertEquals("Vol a.img wiped\n", ok("vol-wipe", "a.img", "--pool", "p").out());
        assertEquals(WipeAlgorithm.ZERO, storage.pools.get("p").volumes.get("a.img").lastWipe);
        ok("vol-wipe", "a.img", "--pool", "p", "--algorithm", "random");
        assertEquals(WipeAlgorithm.RANDOM, storage.pools.get("p").volumes.get("a.img").lastWipe);
        ok("vol-wipe", "a.img", "--pool", "p", "--algorithm", "TRIM");
        assertEquals(WipeAlgorithm.TRIM, storage.pools.get("p").volumes.get("a.img").lastWipe);
        Cli.Result gutmann = cli.run("vol-wipe", "a.img", "--pool", "p", "--algorithm", "gutmann");
        assertEquals(2, gutmann.status());
        assertTrue(gutmann.err().contains("ZERO, RANDOM, TRIM"), gutmann.err());
    }

    @Test
    void volInfoAndDumpXml() throws IOException {
        ok("vol-create-as", "p", "a.img", "1G", "--allocation", "1M");
        assertEquals("Name:           a.img\n"
                + "Type:           file\n"
                + "Format:         raw\n"
                + "Capacity:       1.00 GiB\n"
                + "Allocation:     1.00 MiB\n"
                + "Path:           " + poolDir.resolve("a.img") + "\n", ok("vol-info", "a.img", "--pool", "p").out());
        assertTrue(ok("vol-info", "a.img", "--pool", "p", "--bytes").out().contains("Capacity:       1073741824\n"));
        JsonNode json = new ObjectMapper().readTree(ok("--json", "vol-info", "a.img", "--pool", "p").out());
        assertEquals(1048576, json.get("allocation").asLong());
        assertEquals("p", json.get("pool").asText());
        String xml = ok("vol-dumpxml", "a.img", "--pool", "p").out();
        assertTrue(xml.contains("<name>a.img</name>"), xml);
        LibvirtSchemas.assertValidVolume(xml);
    }

    @Test
    void uploadAndDownloadRoundTripWithOffsetAndLength() throws IOException {
        ok("vol-create-as", "p", "a.img", "4M");
        byte[] data = "hello, volume\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        Path in = Files.write(tmp.resolve("in.bin"), data);
        assertEquals("Uploaded " + data.length + " bytes from " + in + " to vol a.img\n",
                ok("vol-upload", "a.img", in.toString(), "--pool", "p", "--offset", "1M").out());

        Path whole = tmp.resolve("whole.bin");
        ok("vol-download", "a.img", whole.toString(), "--pool", "p");
        byte[] all = Files.readAllBytes(whole);
        assertEquals(4 << 20, all.length);
        assertArrayEquals(data, Arrays.copyOfRange(all, 1 << 20, (1 << 20) + data.length));

        Path part = tmp.resolve("part.bin");
        ok("vol-download", "a.img", part.toString(), "--pool", "p", "--offset", "1MiB", "--length", "100");
        assertArrayEquals(Arrays.copyOf(data, 100), Files.readAllBytes(part));

        Cli.Result tooMuch = cli.run("vol-upload", "a.img", in.toString(), "--pool", "p", "--offset", "4M");
        assertEquals(2, tooMuch.status(), tooMuch::toString);
        Cli.Result noFile = cli.run("vol-upload", "a.img", tmp.resolve("none").toString(), "--pool", "p");
        assertEquals(2, noFile.status());
        assertTrue(noFile.err().contains("no such file or directory"), noFile.err());
    }

    @Test
    void sparseDownloadLeavesHoles() throws IOException, InterruptedException {
        ok("vol-create-as", "p", "a.img", "64M");
        Path in = Files.writeString(tmp.resolve("in.txt"), "data at 32 MiB");
        ok("vol-upload", "a.img", in.toString(), "--pool", "p", "--offset", "32M");
        Path sparse = tmp.resolve("sparse.bin");
        ok("vol-download", "a.img", sparse.toString(), "--pool", "p", "--sparse");
        assertEquals(64L << 20, Files.size(sparse));
        byte[] back = new byte[14];
        try (var ch = Files.newByteChannel(sparse)) {
            ch.position(32L << 20).read(java.nio.ByteBuffer.wrap(back));
        }
        assertEquals("data at 32 MiB", new String(back, StandardCharsets.UTF_8));
        assertTrue(allocatedBytes(sparse) < (8L << 20), "a 64 MiB download of one block of data stays sparse");
    }

    /** Bytes the file occupies on disk, from stat's block count (the JDK does not report it). */
    static long allocatedBytes(Path file) throws IOException, InterruptedException {
        Process stat = new ProcessBuilder("stat", "--format=%b %B", file.toString()).start();
        String[] parts = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
        assertEquals(0, stat.waitFor());
        return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
    }
}
