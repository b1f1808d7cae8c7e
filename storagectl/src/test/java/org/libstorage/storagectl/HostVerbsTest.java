package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.libstorage.BackendStatus;
import org.libstorage.HostDevice;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;

/** host-devices, backends and find-pool-sources through the command line, against a fake storage. */
class HostVerbsTest {
    private final FakeStorage storage = new FakeStorage();
    private final Cli cli = new Cli(storage);

    @TempDir
    Path tmp;

    private Cli.Result ok(String... args) {
        Cli.Result r = cli.run(args);
        assertEquals(0, r.status(), r::toString);
        return r;
    }

    private static HostDevice device(String name, HostDevice.Kind kind, long size, String parent, List<String> holders,
                                     List<String> slaves, HostDevice.Probe probe, List<Path> mounts) {
        return new HostDevice(name, Path.of("/dev", name), kind, size, 512, 4096, false, false, false,
                Optional.empty(), Optional.empty(), Optional.empty(),
                kind == HostDevice.Kind.LOOP ? Optional.of(Path.of("/var/tmp/disk.img")) : Optional.empty(),
                Optional.ofNullable(parent), holders, slaves, mounts, probe);
    }

    private static HostDevice.Probe fs(String type, String label) {
        return new HostDevice.Probe(Optional.of(type), Optional.of("filesystem"), Optional.of("1234-ABCD"),
                Optional.ofNullable(label), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty());
    }

    private void hostWithDiskPartitionsAndStack() {
        storage.devices.add(device("sda", HostDevice.Kind.DISK, 100L << 30, null, List.of(), List.of(),
                HostDevice.Probe.NOTHING, List.of()));
        storage.devices.add(device("sda1", HostDevice.Kind.PARTITION, 99L << 30, "sda", List.of(), List.of(),
                fs("ext4", "root"), List.of(Path.of("/"))));
        storage.devices.add(device("sda2", HostDevice.Kind.PARTITION, 1L << 30, "sda", List.of("dm-0"), List.of(),
                HostDevice.Probe.NOTHING, List.of()));
        storage.devices.add(device("dm-0", HostDevice.Kind.DM, 1L << 30, null, List.of(), List.of("sda2"),
                fs("xfs", null), List.of(Path.of("/srv"))));
        storage.devices.add(device("loop0", HostDevice.Kind.LOOP, 64L << 20, null, List.of(), List.of(),
                HostDevice.Probe.NOTHING, List.of()));
    }

    @Test
    void hostDevicesPrintsAnLsblkTree() {
        hostWithDiskPartitionsAndStack();
        assertEquals("""
                NAME            SIZE  TYPE  RO  FSTYPE  LABEL  UUID       MOUNTPOINTS
                sda       100.00 GiB  disk  0
                ├─sda1     99.00 GiB  part  0   ext4    root   1234-ABCD  /
                └─sda2      1.00 GiB  part  0
                  └─dm-0    1.00 GiB  dm    0   xfs            1234-ABCD  /srv
                loop0      64.00 MiB  loop  0
                """, ok("host-devices").out());
    }

    @Test
    void hostDevicesJsonNestsChildren() throws IOException {
        hostWithDiskPartitionsAndStack();
        JsonNode json = new ObjectMapper().readTree(ok("host-devices", "--json").out());
        assertEquals(2, json.size());
        JsonNode sda = json.get(0);
        assertEquals("disk", sda.get("kind").asText());
        assertEquals(100L << 30, sda.get("size").asLong());
        assertEquals("ext4", sda.get("children").get(0).get("fsType").asText());
        assertEquals("/", sda.get("children").get(0).get("mountPoints").get(0).asText());
        assertEquals("dm-0", sda.get("children").get(1).get("children").get(0).get("name").asText());
        assertEquals("/var/tmp/disk.img", json.get(1).get("backingFile").asText());
    }

    @Test
    void anIscsiDiskShowsItsByPathIdentity() throws IOException {
        String id = "ip-192.0.2.10:3260-iscsi-iqn.2026-01.com.example:storage-lun-1";
        storage.devices.add(new HostDevice("sdb", Path.of("/dev/sdb"), HostDevice.Kind.DISK, 8L << 20, 512, 512, false,
                false, false, Optional.of("VIRTUAL-DISK"), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), List.of(), List.of(), List.of(), HostDevice.Probe.NOTHING,
                Optional.of(new HostDevice.Transport("iscsi", id, Optional.of(Path.of("/dev/disk/by-path", id))))));
        JsonNode transport = new ObjectMapper().readTree(ok("host-devices", "--json").out()).get(0).get("transport");
        assertEquals("iscsi", transport.get("type").asText());
        assertEquals(id, transport.get("pathId").asText());
        assertEquals("/dev/disk/by-path/" + id, transport.get("byPath").asText());
    }

    @Test
    void backendsSaysWhatRunsAndWhyNot() throws IOException {
        storage.backends.add(BackendStatus.available(PoolType.LOGICAL, "activation off: no device-mapper"));
        assertEquals("""
                 Type      Available   Notes
                ----------------------------------------------------------
                 dir       yes
                 iscsi     no          this kernel has no iSCSI initiator
                 logical   yes         activation off: no device-mapper
                """, ok("backends").out());
        JsonNode json = new ObjectMapper().readTree(ok("backends", "--json").out());
        assertEquals("this kernel has no iSCSI initiator", json.get(1).get("reason").asText());
        assertEquals("activation off: no device-mapper", json.get(2).get("notes").get(0).asText());
    }

    @Test
    void longNotesDoNotStretchTheRuleBeyondATerminal() {
        storage.backends.add(BackendStatus.unavailable(PoolType.ZFS, "x".repeat(200)));
        List<String> lines = ok("backends").out().lines().toList();
        assertEquals("-".repeat(80), lines.get(1));
        assertTrue(lines.get(4).endsWith("x".repeat(200)), "the note itself is whole");
    }

    @Test
    void findPoolSourcesPassesTheHintAndPrintsSourcesXml() throws IOException {
        storage.sources.add(PoolSource.builder().name("vg0").device(Path.of("/dev/loop1")).format("lvm2").build());
        String xml = ok("find-pool-sources", "logical").out();
        assertTrue(xml.contains("<sources>") && xml.contains("vg0") && xml.contains("/dev/loop1"), xml);
        assertEquals(Optional.empty(), storage.lastHint);

        ok("find-pool-sources", "iscsi-direct", "--host", "127.0.0.1", "--port", "3260");
        assertEquals(List.of(new PoolSource.Host("127.0.0.1", OptionalInt.of(3260))), storage.lastHint.orElseThrow().hosts());

        Path spec = Files.writeString(tmp.resolve("spec.xml"), "<?xml version='1.0'?>\n<source><host name='portal.example'/></source>");
        ok("find-pool-sources", "iscsi-direct", spec.toString());
        assertEquals("portal.example", storage.lastHint.orElseThrow().hosts().getFirst().name());

        JsonNode json = new ObjectMapper().readTree(ok("--json", "find-pool-sources", "logical").out());
        assertEquals("vg0", json.get(0).get("name").asText());
        assertEquals("/dev/loop1", json.get(0).get("devices").get(0).asText());

        Cli.Result port = cli.run("find-pool-sources", "iscsi-direct", "--port", "3260");
        assertEquals(2, port.status());
    }
}
