package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
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
 * What a careless or hostile user types, through the command line against the real library and
 * dir backend: every success must be true and every refusal precise (one line, right status).
 */
class HostileInputTest {
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
        return r;
    }

    private Cli.Result fails(int status, String... args) {
        Cli.Result r = run(args);
        assertEquals(status, r.status(), () -> String.join(" ", args) + "\n" + r);
        assertTrue(r.err().startsWith("error: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --debug: " + r.err());
        assertTrue(r.err().lines().count() <= 2, r.err());
        return r;
    }

    @BeforeEach
    void startPool() {
        config = tmp.resolve("config");
        poolDir = tmp.resolve("images");
        ok("pool-define-as", "images", "dir", "--target", poolDir.toString());
        ok("pool-build", "images");
        ok("pool-start", "images");
    }

    // ---- uploads of unknown size are streamed, not "0 bytes" ----

    @Test
    void uploadFromAPipeStreamsUntilItsEnd() throws Exception {
        ok("vol-create-as", "images", "a.img", "4MiB");
        byte[] data = random(3 << 20);
        Path fifo = tmp.resolve("fifo");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write(data);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Cli.Result r = ok("vol-upload", "a.img", fifo.toString(), "--pool", "images");
        writer.join();
        assertEquals("Uploaded " + data.length + " bytes from " + fifo + " to vol a.img\n", r.out());
        assertArrayEquals(data, Arrays.copyOf(Files.readAllBytes(poolDir.resolve("a.img")), data.length));
    }

    @Test
    void uploadFromACharacterDeviceReadsLengthBytes() throws IOException {
        ok("vol-create-as", "images", "a.img", "2MiB");
        Files.write(poolDir.resolve("a.img"), new byte[2 << 20]);
        Cli.Result r = ok("vol-upload", "a.img", "/dev/urandom", "--pool", "images", "--length", "1MiB");
        assertEquals("Uploaded 1048576 bytes from /dev/urandom to vol a.img\n", r.out());
        byte[] written = Files.readAllBytes(poolDir.resolve("a.img"));
        assertFalse(Arrays.equals(new byte[1 << 20], Arrays.copyOf(written, 1 << 20)), "random data was written");
        assertArrayEquals(new byte[1 << 20], Arrays.copyOfRange(written, 1 << 20, 2 << 20), "and nothing past --length");
    }

    @Test
    void anEndlessSourceStopsAtTheVolumesEnd() {
        ok("vol-create-as", "images", "a.img", "1MiB");
        Cli.Result r = fails(7, "vol-upload", "a.img", "/dev/zero", "--pool", "images");
        assertTrue(r.err().contains("/dev/zero has more than the 1048576 bytes volume 'a.img' holds"), r.err());
    }

    // ---- uploads that cannot fit are refused before a byte is written ----

    @Test
    void anUploadPastTheVolumesEndIsRefusedAndWritesNothing() throws IOException {
        ok("vol-create-as", "images", "a.img", "1MiB");
        Path big = tmp.resolve("big.raw");
        Files.write(big, random((1 << 20) + 1));
        Cli.Result r = fails(2, "vol-upload", "a.img", big.toString(), "--pool", "images");
        assertTrue(r.err().contains("1048577 bytes at offset 0 runs past the end") && r.err().contains("1048576 bytes"), r.err());
        assertArrayEquals(new byte[1 << 20], Files.readAllBytes(poolDir.resolve("a.img")), "nothing was written");
    }

    // ---- downloads onto the volume itself, devices and directories ----

    @Test
    void aDownloadOntoTheVolumeItselfIsRefused() throws IOException {
        ok("vol-create-as", "images", "a.img", "1MiB");
        byte[] data = random(1 << 20);
        Files.write(poolDir.resolve("a.img"), data);
        Path link = tmp.resolve("link.img");
        Files.createSymbolicLink(link, poolDir.resolve("a.img"));
        Path hard = poolDir.resolve("..").resolve("hard.img");
        Files.createLink(hard, poolDir.resolve("a.img"));
        for (Path same : List.of(poolDir.resolve("a.img"), link, hard)) {
            Cli.Result r = fails(2, "vol-download", "a.img", same.toString(), "--pool", "images");
            assertTrue(r.err().contains("is volume 'a.img' itself"), r.err());
        }
        assertArrayEquals(data, Files.readAllBytes(poolDir.resolve("a.img")), "the volume is untouched");
    }

    @Test
    void downloadsToDevicesAndDirectoriesSayWhatHappened() {
        ok("vol-create-as", "images", "a.img", "1MiB");
        assertEquals("Downloaded 1048576 bytes from vol a.img to /dev/null\n",
                ok("vol-download", "a.img", "/dev/null", "--pool", "images", "--sparse").out());
        Cli.Result full = fails(7, "vol-download", "a.img", "/dev/full", "--pool", "images");
        assertTrue(full.err().contains("Cannot write to /dev/full: no space left on the device"), full.err());
        Cli.Result dir = fails(2, "vol-download", "a.img", tmp.toString(), "--pool", "images");
        assertTrue(dir.err().contains(tmp + " is a directory"), dir.err());
        Cli.Result up = fails(2, "vol-upload", "a.img", tmp.toString(), "--pool", "images");
        assertTrue(up.err().contains(tmp + " is a directory"), up.err());
    }

    // ---- definitions: bounded, UTF-8, files ----

    @Test
    void definitionsAreReadBoundedAndAsUtf8() throws IOException {
        Cli.Result zero = fails(2, "pool-define", "/dev/zero");
        assertTrue(zero.err().contains("/dev/zero is larger than 10485760 bytes"), zero.err());
        Path huge = tmp.resolve("huge.xml");
        try (var channel = java.nio.channels.FileChannel.open(huge, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(new byte[] {' '}), 300L << 20);
        }
        assertTrue(fails(2, "pool-define", huge.toString()).err().contains("is larger than 10485760 bytes"));
        Path latin1 = tmp.resolve("latin1.xml");
        Files.write(latin1, "<pool type='dir'><name>caf\u00e9</name></pool>".getBytes(StandardCharsets.ISO_8859_1));
        Cli.Result bad = fails(2, "pool-define", latin1.toString());
        assertTrue(bad.err().contains(latin1 + " is not UTF-8 text: the byte at offset 26 (0xe9)"), bad.err());
        Cli.Result dir = fails(2, "vol-create", "images", tmp.toString());
        assertTrue(dir.err().contains(tmp + " is a directory"), dir.err());
    }

    // ---- a dir pool's target is where it was, never where a link points now ----

    @Test
    void aTargetReachedThroughASymlinkIsRefusedNamingTheRealDirectory() throws IOException {
        Path real = Files.createDirectories(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        ok("pool-define-as", "linked", "dir", "--target", link.toString());
        Cli.Result r = fails(2, "pool-start", "linked");
        assertTrue(r.err().contains("goes through a symbolic link") && r.err().contains(real.toString()), r.err());
    }

    @Test
    void aTargetSwappedForASymlinkAfterStartIsNotFollowed() throws IOException {
        ok("vol-create-as", "images", "a.img", "1MiB");
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Path victim = Files.writeString(elsewhere.resolve("a.img"), "never in the pool");
        Files.move(poolDir, tmp.resolve("images.moved"));
        Files.createSymbolicLink(poolDir, elsewhere);
        for (String[] verb : List.of(new String[] {"vol-delete", "a.img", "--pool", "images"},
                new String[] {"vol-wipe", "a.img", "--pool", "images"})) {
            Cli.Result r = fails(2, verb);
            assertTrue(r.err().contains("is now a symbolic link"), r.err());
        }
        assertEquals("never in the pool", Files.readString(victim));
    }

    // ---- global options ----

    @Test
    void anEmptyOrFileConfigDirIsAUsageError() throws IOException {
        Cli.Result empty = cli.run("--config-dir", "", "pool-list", "--all");
        assertEquals(2, empty.status(), empty::toString);
        assertTrue(empty.err().contains("--config-dir is empty"), empty.err());
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Cli.Result notDir = cli.run("--config-dir", file.toString(), "pool-list", "--all");
        assertEquals(2, notDir.status(), notDir::toString);
        assertTrue(notDir.err().contains(file + " is not a directory"), notDir.err());
    }

    // ---- sizes ----

    @Test
    void resizeArithmeticThatOverflowsNamesTheNumbers() {
        ok("vol-create-as", "images", "a.img", "1MiB");
        Cli.Result r = fails(2, "vol-resize", "a.img", "9223372036854775807", "--delta", "--pool", "images");
        assertTrue(r.err().contains("(1048576 bytes) by 9223372036854775807 bytes"), r.err());
    }

    @Test
    void aShrinkRefusalNamesTheFlagTheUserTypes() {
        ok("vol-create-as", "images", "a.img", "2MiB");
        Cli.Result r = fails(2, "vol-resize", "a.img", "1MiB", "--pool", "images");
        assertTrue(r.err().contains("add --shrink"), r.err());
        assertFalse(r.err().contains("ALLOW_SHRINK"), r.err());
    }

    @Test
    void sizesAreAsciiDigitsWithoutBlanks() {
        for (String size : List.of("\u0661\u0662", " 5M", "5 M", "5M ")) {
            Cli.Result r = fails(2, "vol-create-as", "images", "a.img", size);
            assertTrue(r.err().contains("is not a size"), r.err());
        }
        assertFalse(Files.exists(poolDir.resolve("a.img")));
    }

    private static byte[] random(int n) {
        byte[] data = new byte[n];
        new Random(n).nextBytes(data);
        return data;
    }
}
