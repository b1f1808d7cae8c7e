package org.libstorage.storagectl;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BuildMode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;

/** The pool verbs, run through the command line against a fake storage. */
class PoolVerbsTest {
    private final FakeStorage storage = new FakeStorage();
    private final Cli cli = new Cli(storage);

    @TempDir
    Path tmp;

    private Cli.Result ok(String... args) {
        Cli.Result r = cli.run(args);
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err(), r::toString);
        return r;
    }

    private void defineAndStart(String name) {
        ok("pool-define-as", name, "dir", "--target", tmp.resolve(name).toString());
        ok("pool-start", name);
    }

    @Test
    void poolDefineAsBuildsADirDefinition() {
        Cli.Result r = ok("pool-define-as", "images", "dir", "--target", tmp.resolve("images").toString());
        assertEquals("Pool images defined\n", r.out());
        PoolDefinition d = storage.pools.get("images").definition;
        assertEquals(PoolType.DIR, d.type());
        assertEquals(Optional.of(tmp.resolve("images")), d.targetPath());
    }

    @Test
    void poolDefineAsTakesEverySourceOption() {
        ok("pool-define-as", "san", "iscsi-direct", "--source-host", "192.0.2.7:3261", "--source-dev",
                "iqn.2024-01.org.example:disks", "--source-initiator", "iqn.2024-01.org.example:me",
                "--auth-type", "chap", "--auth-username", "admin", "--secret-usage", "san-secret");
        PoolSource s = storage.pools.get("san").definition.source();
        assertEquals(List.of(new PoolSource.Host("192.0.2.7", OptionalInt.of(3261))), s.hosts());
        assertEquals(Path.of("iqn.2024-01.org.example:disks"), s.devices().getFirst().path());
        assertEquals(Optional.of("iqn.2024-01.org.example:me"), s.initiatorIqn());
        assertEquals("admin", s.auth().orElseThrow().username());

        ok("pool-define-as", "vg", "logical", "--source-name", "vg0", "--source-dev", "/dev/loop1",
                "--source-dev", "/dev/loop2", "--source-format", "lvm2", "--target", "/dev/vg0");
        PoolSource vg = storage.pools.get("vg").definition.source();
        assertEquals(2, vg.devices().size());
        assertEquals(Optional.of("vg0"), vg.name());
        assertEquals(Optional.of("lvm2"), vg.format());

        ok("pool-define-as", "nfs", "netfs", "--source-host", "[2001:db8::1]", "--source-path", "/export",
                "--target", tmp.resolve("nfs").toString());
        PoolSource nfs = storage.pools.get("nfs").definition.source();
        assertEquals(PoolSource.Host.of("2001:db8::1"), nfs.hosts().getFirst());
        assertEquals(Optional.of(Path.of("/export")), nfs.dir());
    }

    @Test
    void poolDefineAsPrintXmlValidatesAndDefinesNothing() {
        Cli.Result r = ok("pool-define-as", "images", "dir", "--target", "/var/lib/images", "--print-xml");
        assertTrue(r.out().contains("<pool type=\"dir\">") || r.out().contains("<pool type='dir'>"), r.out());
        LibvirtSchemas.assertValidPool(r.out());
        assertTrue(storage.pools.isEmpty());
    }

    @Test
    void badPoolTypeAndBadHostAreRefused() {
        Cli.Result type = cli.run("pool-define-as", "p", "floppy");
        assertEquals(2, type.status());
        assertTrue(type.err().contains("'floppy' is not a pool type; the types are dir, fs, netfs"), type.err());

        Cli.Result host = cli.run("pool-define-as", "p", "iscsi-direct", "--source-host", "h:port");
        assertEquals(2, host.status());
        assertEquals("error: The source host 'h:port' is not HOST, HOST:PORT or [IPv6]:PORT.\n", host.err());
        assertTrue(storage.pools.isEmpty());
    }

    @Test
    void poolDefineReadsLibvirtXml() throws IOException {
        Path file = Files.writeString(tmp.resolve("pool.xml"),
                "<pool type='dir'><name>fromxml</name><target><path>/var/lib/x</path></target></pool>");
        assertEquals("Pool fromxml defined from " + file + "\n", ok("pool-define", file.toString()).out());
        assertEquals(Optional.of(Path.of("/var/lib/x")), storage.pools.get("fromxml").definition.targetPath());

        Cli.Result missing = cli.run("pool-define", tmp.resolve("nope.xml").toString());
        assertEquals(2, missing.status());
        assertEquals("error: Cannot read " + tmp.resolve("nope.xml") + ": no such file or directory.\n", missing.err());
    }

    @Test
    void poolListShowsActivePoolsAndAllWithAll() throws IOException {
        defineAndStart("b-active");
        ok("pool-define-as", "a-inactive", "dir", "--target", tmp.resolve("a").toString());
        ok("pool-autostart", "b-active");

        assertEquals("""
                 Name       State    Autostart
                -------------------------------
                 b-active   active   yes
                """, ok("pool-list").out());
        assertEquals("""
                 Name         State      Autostart
                -----------------------------------
                 a-inactive   inactive   no
                 b-active     active     yes
                """, ok("pool-list", "--all").out());
        assertFalse(ok("pool-list", "--inactive").out().contains("b-active"));
        assertFalse(ok("pool-list", "--all", "--type", "logical").out().contains("active "));

        String details = ok("pool-list", "--all", "--details").out();
        assertTrue(details.contains(" a-inactive   inactive   no          yes          -            -            -\n"), details);
        assertTrue(details.contains(" b-active     running    yes         yes          100.00 GiB   0 B          100.00 GiB\n"), details);

        JsonNode json = new ObjectMapper().readTree(ok("--json", "pool-list", "--all").out());
        assertEquals(2, json.size());
        assertEquals("b-active", json.get(1).get("name").asText());
        assertEquals("running", json.get(1).get("state").asText());
        assertEquals(FakeStorage.POOL_CAPACITY, json.get(1).get("capacity").asLong());
        assertFalse(json.get(0).has("capacity"));
    }

    @Test
    void lifecycleVerbsPrintWhatTheyDid() {
        ok("pool-define-as", "p", "dir", "--target", tmp.resolve("p").toString());
        assertEquals("Pool p built\n", ok("pool-build", "p").out());
        assertEquals(BuildMode.NO_OVERWRITE, storage.pools.get("p").lastBuildMode);
        ok("pool-build", "p", "--overwrite");
        assertEquals(BuildMode.OVERWRITE, storage.pools.get("p").lastBuildMode);
        Cli.Result both = cli.run("pool-build", "p", "--overwrite", "--no-overwrite");
        assertEquals(2, both.status());
        assertTrue(both.err().contains("mutually exclusive"), both.err());

        assertEquals("Pool p started\n", ok("pool-start", "p").out());
        assertEquals("Pool p refreshed\n", ok("pool-refresh", "p").out());
        assertEquals(1, storage.pools.get("p").refreshes);
        assertEquals("Pool p marked as autostarted\n", ok("pool-autostart", "p").out());
        assertTrue(storage.pools.get("p").autostart);
        assertEquals("Pool p unmarked as autostarted\n", ok("pool-autostart", "p", "--disable").out());
        assertFalse(storage.pools.get("p").autostart);
        assertEquals("Pool p stopped\n", ok("pool-stop", "p").out());
        ok("pool-start", "p");
        assertEquals("Pool p stopped\n", ok("pool-destroy", "p").out(), "virsh's name for pool-stop");
        assertEquals("Pool p deleted\n", ok("pool-delete", "p").out());
        assertFalse(storage.pools.get("p").built);
        assertEquals("Pool p has been undefined\n", ok("pool-undefine", "p").out());
        assertTrue(storage.pools.isEmpty());
    }

    @Test
    void poolStartCanBuildFirst() {
        ok("pool-define-as", "p", "dir", "--target", tmp.resolve("p").toString());
        ok("pool-start", "p", "--build", "--overwrite");
        assertEquals(BuildMode.OVERWRITE, storage.pools.get("p").lastBuildMode);
        assertTrue(storage.pools.get("p").active);
    }

    @Test
    void poolInfoInTextAndJson() throws IOException {
        defineAndStart("p");
        String uuid = storage.pools.get("p").uuid.toString();
        assertEquals("Name:           p\n"
                + "UUID:           " + uuid + "\n"
                + "Type:           dir\n"
                + "State:          running\n"
                + "Persistent:     yes\n"
                + "Autostart:      no\n"
                + "Target:         " + tmp.resolve("p") + "\n"
                + "Capacity:       100.00 GiB\n"
                + "Allocation:     0 B\n"
                + "Available:      100.00 GiB\n", ok("pool-info", "p").out());
        assertTrue(ok("pool-info", "p", "--bytes").out().contains("Capacity:       107374182400\n"));
        JsonNode json = new ObjectMapper().readTree(ok("pool-info", "p", "--json").out());
        assertEquals(uuid, json.get("uuid").asText());
        assertEquals(tmp.resolve("p").toString(), json.get("target").asText());
        assertEquals(uuid + "\n", ok("pool-uuid", "p").out());
        assertEquals("p\n", ok("pool-name", uuid).out());
        assertEquals("Pool p stopped\n", ok("pool-stop", uuid).out(), "pools are found by UUID too");
    }

    @Test
    void aPoolThatCannotTellItsSpaceSaysUnknownNotZero() throws IOException {
        defineAndStart("p");
        storage.pools.get("p").spaceUnknown = true;

        String info = ok("pool-info", "p").out();
        assertTrue(info.contains("Capacity:       unknown\n") && info.contains("Available:      unknown\n"), info);
        String list = ok("pool-list", "--details").out();
        assertTrue(list.lines().anyMatch(l -> l.strip().startsWith("p ") && l.contains("unknown")), list);
        JsonNode json = new ObjectMapper().readTree(ok("pool-info", "p", "--json").out());
        assertTrue(json.get("available").isNull(), json.toString());
        assertTrue(json.get("capacity").isNull(), json.toString());
        // The XML says what libvirt says of such a pool: 0.
        assertTrue(ok("pool-dumpxml", "p").out().contains("<available unit='bytes'>0</available>"));
    }

    @Test
    void poolDumpXmlValidatesAgainstLibvirtsSchema() {
        defineAndStart("p");
        String active = ok("pool-dumpxml", "p").out();
        assertTrue(active.contains("<capacity"), active);
        LibvirtSchemas.assertValidPool(active);
        String inactive = ok("pool-dumpxml", "p", "--inactive").out();
        assertFalse(inactive.contains("<capacity"), inactive);
        LibvirtSchemas.assertValidPool(inactive);
    }

    @Test
    void aMissingPoolIsOneLineAndExitStatusThree() {
        Cli.Result r = cli.run("pool-info", "ghost");
        assertEquals(3, r.status());
        assertEquals("error: No pool is named 'ghost' or has that UUID; 'storagectl pool-list --all' lists them.\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void stateErrorsUseTheirCategorysExitStatus() {
        defineAndStart("p");
        Cli.Result r = cli.run("pool-undefine", "p");
        assertEquals(5, r.status());
        assertEquals("error: Pool 'p' is active; stop it first.\n", r.err());
        Cli.Result exists = cli.run("pool-define-as", "p", "dir", "--target", "/x");
        assertEquals(4, exists.status());
    }
}
