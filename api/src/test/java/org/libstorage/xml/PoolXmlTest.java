package org.libstorage.xml;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.libstorage.ErrorCode;
import org.libstorage.Permissions;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.PoolState;
import org.libstorage.PoolTarget;
import org.libstorage.PoolType;
import org.libstorage.StorageException;

/** What pool XML reads into the model, and exactly what it writes. */
class PoolXmlTest {

    @ParameterizedTest(name = "{0} {1} = {2} bytes")
    @CsvSource({
            "7, b, 7", "7, B, 7", "7, byte, 7", "7, bytes, 7", "7, Bytes, 7",
            "3, KB, 3000", "3, kb, 3000", "3, K, 3072", "3, k, 3072", "3, KiB, 3072", "3, kib, 3072",
            "2, MB, 2000000", "2, M, 2097152", "2, MiB, 2097152",
            "2, GB, 2000000000", "2, G, 2147483648", "2, GiB, 2147483648",
            "2, TB, 2000000000000", "2, T, 2199023255552", "2, TiB, 2199023255552",
            "2, PB, 2000000000000000", "2, P, 2251799813685248", "2, PiB, 2251799813685248",
            "2, EB, 2000000000000000000", "2, E, 2305843009213693952", "7, EiB, 8070450532247928832",
            "9223372036854775807, bytes, 9223372036854775807"})
    void scalesSizesAsLibvirtDoes(long value, String unit, long bytes) {
        String xml = "<volume><name>v</name><capacity unit='" + unit + "'>" + value + "</capacity></volume>";

        assertEquals(bytes, VolumeXml.parse(xml).capacity());
    }

    @ParameterizedTest
    @CsvSource({"9223372036854775808, b", "8, EiB", "10, EB", "8192, PiB", "9223372036854775807, KB"})
    void refusesSizesBeyondTheLargestFileSize(String value, String unit) {
        String xml = "<volume><name>v</name><capacity unit='" + unit + "'>" + value + "</capacity></volume>";

        StorageException e = assertThrows(StorageException.class, () -> VolumeXml.parse(xml));

        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertTrue(e.getMessage().contains(value + " " + unit), e.getMessage());
    }

    @Test
    void writesADirPoolExactlyAsLibvirtDoes() {
        PoolDefinition pool = PoolDefinition.builder(PoolType.DIR, "images")
                .uuid(UUID.fromString("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2"))
                .target(new PoolTarget(Optional.of(Path.of("/var/lib/images")), Optional.of(Permissions.ofMode(0711))))
                .build();

        String xml = PoolXml.write(pool, Optional.of(new PoolInfo(PoolState.RUNNING, 1000, 400, 600)));

        assertEquals("""
                <pool type='dir'>
                  <name>images</name>
                  <uuid>70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2</uuid>
                  <capacity unit='bytes'>1000</capacity>
                  <allocation unit='bytes'>400</allocation>
                  <available unit='bytes'>600</available>
                  <source/>
                  <target>
                    <path>/var/lib/images</path>
                    <permissions>
                      <mode>0711</mode>
                    </permissions>
                  </target>
                </pool>
                """, xml);
        LibvirtSchemas.assertValidPool(xml);
    }

    @Test
    void writesMountOptionsInTheirNamespaceAfterTheTarget() {
        PoolDefinition pool = PoolDefinition.builder(PoolType.NETFS, "share")
                .source(PoolSource.builder().host(new PoolSource.Host("nfs.example.com", OptionalInt.of(2049)))
                        .dir(Path.of("/export")).format("nfs").protocolVersion("4").build())
                .targetPath(Path.of("/mnt/share"))
                .mountOption("ro")
                .mountOption("vers=4.2")
                .build();

        String xml = PoolXml.write(pool, Optional.empty());

        assertEquals("""
                <pool type='netfs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>
                  <name>share</name>
                  <source>
                    <host name='nfs.example.com' port='2049'/>
                    <dir path='/export'/>
                    <format type='nfs'/>
                    <protocol ver='4'/>
                  </source>
                  <target>
                    <path>/mnt/share</path>
                  </target>
                  <fs:mount_opts>
                    <fs:option name='ro'/>
                    <fs:option name='vers=4.2'/>
                  </fs:mount_opts>
                </pool>
                """, xml);
        LibvirtSchemas.assertValidPool(xml);
        assertEquals(pool, PoolXml.parse(xml));
    }

    @Test
    void keepsOnlyAReferenceToTheChapSecret() {
        PoolDefinition pool = PoolXml.parse("""
                <pool type='iscsi'>
                  <name>lun</name>
                  <source>
                    <host name='127.0.0.1' port='3260'/>
                    <device path='iqn.2024-01.org.libstorage:target'/>
                    <auth type='chap' username='agent'><secret usage='libstorage-chap'/></auth>
                  </source>
                  <target><path>/dev/disk/by-path</path></target>
                </pool>
                """);

        PoolSource.Auth auth = pool.source().auth().orElseThrow();
        assertEquals("agent", auth.username());
        assertEquals(PoolSource.SecretRef.ofUsage("libstorage-chap"), auth.secret());
        assertTrue(PoolXml.write(pool, Optional.empty()).contains("<secret usage='libstorage-chap'/>"));
    }

    @Test
    void namesLogicalPoolsAfterTheirVolumeGroupAndPutsThemUnderDev() {
        PoolDefinition pool = PoolXml.parse("<pool type='logical'><source><name>vg0</name></source></pool>");

        assertEquals("vg0", pool.name());
        assertEquals(Optional.of(Path.of("/dev/vg0")), pool.targetPath());
    }

    @Test
    void putsAThinPoolsVolumesUnderItsVolumeGroup() {
        PoolDefinition pool = PoolXml.parse(
                "<pool type='logical'><name>thin</name><source><name>vg0/pool0</name></source></pool>");

        assertEquals(Optional.of("vg0/pool0"), pool.source().name());
        assertEquals(Optional.of(Path.of("/dev/vg0")), pool.targetPath());
    }

    @Test
    void defaultsTheSourceNameToThePoolName() {
        PoolDefinition pool = PoolXml.parse("<pool type='zfs'><name>tank</name></pool>");

        assertEquals(Optional.of("tank"), pool.source().name());
    }

    @Test
    void acceptsUuidsWithoutDashes() {
        PoolDefinition pool = PoolXml.parse("""
                <pool type='dir'><name>p</name><uuid>70a7eb156c34ee9cbf5769e8e5ff3fb2</uuid>
                <target><path>/p</path></target></pool>""");

        assertEquals(Optional.of(UUID.fromString("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2")), pool.uuid());
    }

    @Test
    void parsesLibvirtsTwoDeviceZfsExample() {
        PoolDefinition pool = PoolXml.parse("""
                <pool type="zfs">
                  <name>myzfspool</name>
                  <source>
                    <name>zpoolname</name>
                    <device path="/dev/ada1"/>
                    <device path="/dev/ada2"/>
                  </source>
                </pool>
                """);

        assertEquals(2, pool.source().devices().size());
        assertEquals(pool, PoolXml.parse(PoolXml.write(pool, Optional.empty())));
    }

    @Test
    void refusesToWriteWhatTheTypeCannotExpress() {
        PoolDefinition pool = PoolDefinition.builder(PoolType.DIR, "p").targetPath(Path.of("/p"))
                .mountOption("ro").build();

        StorageException e = assertThrows(StorageException.class, () -> PoolXml.write(pool, Optional.empty()));

        assertTrue(e.getMessage().contains("<fs:mount_opts>"), e.getMessage());
    }

    @Test
    void refusesControlCharactersXmlCannotCarry() {
        PoolDefinition pool = PoolDefinition.builder(PoolType.DIR, "p").targetPath(Path.of("/p\u0001q")).build();

        StorageException e = assertThrows(StorageException.class, () -> PoolXml.write(pool, Optional.empty()));

        assertEquals(ErrorCode.INVALID_DEFINITION, e.code());
        assertTrue(e.getMessage().contains("U+0001"), e.getMessage());
    }

    @Test
    void refusesUnpairedSurrogatesButKeepsCharactersBeyondTheBmp() {
        PoolDefinition broken = PoolDefinition.builder(PoolType.DIR, "p\uD800q").targetPath(Path.of("/p")).build();
        PoolDefinition emoji = PoolDefinition.builder(PoolType.DIR, "p\uD83D\uDCBE").targetPath(Path.of("/p")).build();

        StorageException e = assertThrows(StorageException.class, () -> PoolXml.write(broken, Optional.empty()));

        assertTrue(e.getMessage().contains("U+D800"), e.getMessage());
        assertEquals(emoji, PoolXml.parse(PoolXml.write(emoji, Optional.empty())));
    }

    @Test
    void parsesFromManyThreadsAtOnce() throws Exception {
        String xml = PoolXml.write(PoolDefinition.builder(PoolType.DIR, "shared").targetPath(Path.of("/shared")).build(),
                Optional.empty());
        PoolDefinition expected = PoolXml.parse(xml);

        try (var executor = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            List<java.util.concurrent.Future<PoolDefinition>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 400; i++) {
                results.add(executor.submit(() -> PoolXml.parse(xml)));
            }
            for (var result : results) {
                assertEquals(expected, result.get());
            }
        }
    }

    @Test
    void refusesAPoolElementInAForeignNamespace() {
        StorageException e = assertThrows(StorageException.class, () -> PoolXml.parse(
                "<pool xmlns='urn:example' type='dir'><name>p</name><target><path>/p</path></target></pool>"));

        assertTrue(e.getMessage().contains("'urn:example'"), e.getMessage());
    }

    @Test
    void writesSourcesAsFindPoolSourcesPrintsThem() {
        List<PoolSource> found = List.of(
                PoolSource.builder().name("vg0").device(Path.of("/dev/loop0")).format("lvm2").build(),
                PoolSource.builder().name("vg1").device(Path.of("/dev/loop1")).device(Path.of("/dev/loop2"))
                        .format("lvm2").build());

        assertEquals("""
                <sources>
                  <source>
                    <device path='/dev/loop0'/>
                    <name>vg0</name>
                    <format type='lvm2'/>
                  </source>
                  <source>
                    <device path='/dev/loop1'/>
                    <device path='/dev/loop2'/>
                    <name>vg1</name>
                    <format type='lvm2'/>
                  </source>
                </sources>
                """, PoolXml.writeSources(found));
        assertEquals("<sources/>\n", PoolXml.writeSources(List.of()));
    }

    @Test
    void readsTheDefaultsLibvirtFillsIntoASource() {
        PoolDefinition vg = PoolXml.parse("<pool type='logical'><name>vg</name></pool>");
        PoolDefinition fs = PoolXml.parse("<pool type='fs'><name>f</name><source><device path='/dev/sdz'/></source>"
                + "<target><path>/mnt/f</path></target></pool>");
        PoolDefinition disk = PoolXml.parse("<pool type='disk'><name>d</name><source><device path='/dev/sdz'/></source>"
                + "<target><path>/dev</path></target></pool>");
        PoolDefinition gluster = PoolXml.parse("<pool type='gluster'><name>g</name><source><name>vol</name>"
                + "<host name='h'/></source></pool>");
        PoolDefinition zfs = PoolXml.parse("<pool type='zfs'><name>tank</name></pool>");

        assertEquals(Optional.of("lvm2"), vg.source().format());
        assertEquals(Optional.of("auto"), fs.source().format());
        assertEquals(Optional.of("unknown"), disk.source().format());
        assertEquals(Optional.of(Path.of("/")), gluster.source().dir());
        assertEquals(Optional.of(Path.of("/dev/zvol/tank")), zfs.targetPath());
    }
}
