package org.libstorage.xml;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.libstorage.Permissions;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeDefinition.Timestamps;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;

/** Volume XML after libvirt's documented examples: parse, write valid storagevol.rng XML, parse back equal. */
class VolumeXmlTest {

    static Stream<Arguments> examples() {
        return Stream.of(
                Arguments.of("qcow2 file with backing store", """
                        <volume type='file'>
                          <name>sparse.img</name>
                          <key>/var/lib/virt/images/sparse.img</key>
                          <allocation>0</allocation>
                          <capacity unit="T">1</capacity>
                          <target>
                            <path>/var/lib/virt/images/sparse.img</path>
                            <format type='qcow2'/>
                            <permissions>
                              <owner>107</owner>
                              <group>107</group>
                              <mode>0744</mode>
                              <label>virt_image_t</label>
                            </permissions>
                            <timestamps>
                              <atime>1341933637.273190990</atime>
                              <mtime>1341930622.047245868</mtime>
                              <ctime>1341930622.047245868</ctime>
                              <btime>1341930622</btime>
                            </timestamps>
                            <compat>1.1</compat>
                            <nocow/>
                            <features>
                              <lazy_refcounts/>
                            </features>
                          </target>
                          <backingStore>
                            <path>/var/lib/virt/images/master.img</path>
                            <format type='raw'/>
                            <permissions>
                              <owner>107</owner>
                              <group>107</group>
                              <mode>0744</mode>
                              <label>virt_image_t</label>
                            </permissions>
                          </backingStore>
                        </volume>
                        """),
                Arguments.of("raw file to create", """
                        <volume>
                          <name>guest.raw</name>
                          <capacity unit='GiB'>10</capacity>
                          <allocation unit='MB'>512</allocation>
                          <target>
                            <format type='raw'/>
                            <permissions>
                              <mode>600</mode>
                            </permissions>
                          </target>
                        </volume>
                        """),
                Arguments.of("logical volume with extents", """
                        <volume type='block'>
                          <name>lv0</name>
                          <key>r4xkCv-MQhr-WKIT-R66x-Epn2-e8hG-1Z5gY0</key>
                          <source>
                            <device path='/dev/sdb1'>
                              <extent start='0' end='1073741824'/>
                            </device>
                            <device path='/dev/sdc1'>
                              <extent start='0' end='536870912'/>
                              <extent start='1073741824' end='2147483648'/>
                            </device>
                          </source>
                          <capacity unit='bytes'>2684354560</capacity>
                          <allocation unit='bytes'>2684354560</allocation>
                          <target>
                            <path>/dev/vg0/lv0</path>
                          </target>
                        </volume>
                        """),
                Arguments.of("disk partition", """
                        <volume type='block'>
                          <name>sda1</name>
                          <key>/dev/sda1</key>
                          <source>
                            <device path='/dev/sda'>
                              <extent start='1048576' end='1074790400'/>
                            </device>
                          </source>
                          <capacity unit='M'>1024</capacity>
                          <allocation unit='M'>1024</allocation>
                          <physical unit='M'>1024</physical>
                          <target>
                            <path>/dev/sda1</path>
                            <format type='linux'/>
                          </target>
                        </volume>
                        """),
                Arguments.of("luks with cipher", """
                        <volume>
                          <name>LuksDemo.img</name>
                          <key>/var/lib/images/LuksDemo.img</key>
                          <source>
                          </source>
                          <capacity unit="G">5</capacity>
                          <allocation>294912</allocation>
                          <target>
                            <path>/var/lib/images/LuksDemo.img</path>
                            <format type='luks'/>
                            <permissions>
                              <mode>0644</mode>
                              <owner>0</owner>
                              <group>0</group>
                            </permissions>
                            <encryption format='luks'>
                              <secret type='passphrase' usage='luks-demo'/>
                              <cipher name='serpent' size='256' mode='cbc' hash='sha256'/>
                              <ivgen name='plain64' hash='sha256'/>
                            </encryption>
                          </target>
                        </volume>
                        """),
                Arguments.of("raw with luks by secret uuid", """
                        <volume>
                          <name>encrypted.img</name>
                          <capacity unit='G'>5</capacity>
                          <target>
                            <format type='raw'/>
                            <encryption format='luks' engine='qemu'>
                              <secret type='passphrase' uuid='e78d4b51-a2af-485f-b0f5-afca709a80f4'/>
                            </encryption>
                          </target>
                        </volume>
                        """),
                Arguments.of("qcow2 with cluster size", """
                        <volume>
                          <name>clustered.qcow2</name>
                          <capacity unit='G'>5</capacity>
                          <target>
                            <format type='qcow2'/>
                            <compat>1.1</compat>
                            <clusterSize unit='KiB'>64</clusterSize>
                            <features>
                              <extended_l2/>
                            </features>
                          </target>
                        </volume>
                        """),
                Arguments.of("directory volume", """
                        <volume type='dir'>
                          <name>subdir</name>
                          <capacity>4096</capacity>
                          <target>
                            <path>/srv/pool/subdir</path>
                            <format type='dir'/>
                          </target>
                        </volume>
                        """),
                Arguments.of("network volume", """
                        <volume type='network'>
                          <name>image</name>
                          <key>rbd/image</key>
                          <capacity unit='E'>1</capacity>
                          <allocation unit='bytes'>0</allocation>
                          <target>
                            <path>rbd/image</path>
                            <format type='raw'/>
                          </target>
                        </volume>
                        """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void parsesWritesValidXmlAndParsesBackEqual(String name, String xml) {
        VolumeDefinition parsed = VolumeXml.parse(xml);

        String written = VolumeXml.write(parsed);
        LibvirtSchemas.assertValidVolume(written);
        assertEquals(parsed, VolumeXml.parse(written), written);
    }

    @Test
    void readsEveryPartOfADocumentedVolume() {
        VolumeDefinition volume = VolumeXml.parse(examples().findFirst().orElseThrow().get()[1].toString());

        assertEquals(Optional.of(VolumeType.FILE), volume.type());
        assertEquals(1L << 40, volume.capacity());
        assertEquals(OptionalLong.of(0), volume.allocation());
        assertEquals(Optional.of(Path.of("/var/lib/virt/images/sparse.img")), volume.path());
        assertEquals(Optional.of(VolumeFormat.QCOW2), volume.format());
        Permissions permissions = volume.target().permissions().orElseThrow();
        assertEquals(OptionalInt.of(0744), permissions.mode());
        assertEquals(OptionalLong.of(107), permissions.owner());
        assertEquals(Optional.of("virt_image_t"), permissions.label());
        Timestamps times = volume.target().timestamps().orElseThrow();
        assertEquals(Optional.of(Instant.ofEpochSecond(1341933637L, 273190990)), times.atime());
        assertEquals(Optional.of(Instant.ofEpochSecond(1341930622L)), times.btime());
        assertEquals(Optional.of("1.1"), volume.target().compat());
        assertTrue(volume.target().nocow());
        assertEquals(List.of("lazy_refcounts"), volume.target().features());
        assertEquals(Path.of("/var/lib/virt/images/master.img"), volume.backingStore().orElseThrow().path());
    }

    @Test
    void writesSizesInBytesAndTimestampsAsSecondsDotNanoseconds() {
        VolumeDefinition volume = VolumeDefinition.builder("disk.qcow2", 10L << 30)
                .type(VolumeType.FILE)
                .key("/pool/disk.qcow2")
                .allocation(196_608)
                .physical(200_704)
                .target(new VolumeDefinition.VolumeTarget(Optional.of(Path.of("/pool/disk.qcow2")),
                        Optional.of(VolumeFormat.QCOW2), Optional.of(Permissions.ofMode(0600)),
                        Optional.of(new Timestamps(Optional.of(Instant.ofEpochSecond(1700000000L, 5)),
                                Optional.of(Instant.ofEpochSecond(1700000001L)), Optional.empty(), Optional.empty())),
                        Optional.of("1.1"), false, List.of()))
                .build();

        String xml = VolumeXml.write(volume);

        LibvirtSchemas.assertValidVolume(xml);
        assertEquals("""
                <volume type='file'>
                  <name>disk.qcow2</name>
                  <key>/pool/disk.qcow2</key>
                  <capacity unit='bytes'>10737418240</capacity>
                  <allocation unit='bytes'>196608</allocation>
                  <physical unit='bytes'>200704</physical>
                  <target>
                    <path>/pool/disk.qcow2</path>
                    <format type='qcow2'/>
                    <permissions>
                      <mode>0600</mode>
                    </permissions>
                    <timestamps>
                      <atime>1700000000.000000005</atime>
                      <mtime>1700000001</mtime>
                    </timestamps>
                    <compat>1.1</compat>
                  </target>
                </volume>
                """, xml);
    }

    @Test
    void readsEncryptionAsASecretReferenceAndClusterSizeInBytes() {
        VolumeDefinition luks = VolumeXml.parse(examples().skip(4).findFirst().orElseThrow().get()[1].toString());
        VolumeDefinition qcow2 = VolumeXml.parse(examples().skip(6).findFirst().orElseThrow().get()[1].toString());

        VolumeDefinition.Encryption encryption = luks.target().encryption().orElseThrow();
        assertEquals("luks", encryption.format());
        assertEquals(Optional.of(PoolSource.SecretRef.ofUsage("luks-demo")), encryption.secret());
        assertEquals(new VolumeDefinition.Encryption.Cipher("serpent", 256, Optional.of("cbc"), Optional.of("sha256")),
                encryption.cipher().orElseThrow());
        assertEquals(OptionalLong.of(65536), qcow2.target().clusterSize());
        assertTrue(VolumeXml.write(qcow2).contains("<clusterSize unit='B'>65536</clusterSize>"));
    }

    @Test
    void treatsEmptyPermissionsAndTimestampsAsAbsentSoTheyRoundTrip() {
        VolumeDefinition volume = VolumeXml.parse("""
                <volume><name>e</name><capacity>1</capacity>
                  <target><permissions/><timestamps/></target>
                  <backingStore><path>/base</path><permissions></permissions></backingStore>
                </volume>""");

        assertEquals(Optional.empty(), volume.target().permissions());
        assertEquals(Optional.empty(), volume.target().timestamps());
        assertEquals(volume, VolumeXml.parse(VolumeXml.write(volume)));
    }

    @Test
    void featuresImplyCompatOneOneAsInLibvirt() {
        VolumeDefinition volume = VolumeXml.parse("""
                <volume><name>f</name><capacity>1</capacity>
                  <target><format type='qcow2'/><features><lazy_refcounts/></features></target>
                </volume>""");

        assertEquals(Optional.of("1.1"), volume.target().compat());
    }

    @Test
    void escapesNamesAndPaths() {
        VolumeDefinition volume = VolumeDefinition.builder("a<b>&'\"c", 1)
                .path(Path.of("/pool/a<b>&'\"c")).build();

        String xml = VolumeXml.write(volume);

        assertFalse(xml.contains("a<b>"), xml);
        LibvirtSchemas.assertValidVolume(xml);
        assertEquals(volume, VolumeXml.parse(xml));
    }

    @Test
    void keepsSourceExtentsPerDevice() {
        VolumeDefinition volume = VolumeXml.parse(examples().skip(2).findFirst().orElseThrow().get()[1].toString());

        assertEquals(2, volume.extents().size());
        assertEquals(List.of(new PoolSource.Extent(0, 536870912L), new PoolSource.Extent(1073741824L, 2147483648L)),
                volume.extents().get(1).extents());
    }

    @Test
    void aVolumeOfAPoolIsWrittenWithTheDefaultsLibvirtReadsIntoIt() {
        VolumeDefinition bare = VolumeXml.parse("<volume><name>v</name><capacity>1</capacity>"
                + "<target><path>/p/v</path></target></volume>");

        // A file-based pool: type file, format raw, as libvirt writes a volume it read without them.
        String dir = VolumeXml.write(bare, PoolType.DIR);
        assertTrue(dir.startsWith("<volume type='file'>"), dir);
        assertTrue(dir.contains("<format type='raw'/>"), dir);
        // A partition: format none.
        assertTrue(VolumeXml.write(bare, PoolType.DISK).contains("<format type='none'/>"));
        // An LV has no format at all, even one given.
        VolumeDefinition qcow = bare.toBuilder().format(VolumeFormat.QCOW2).build();
        assertFalse(VolumeXml.write(qcow, PoolType.LOGICAL).contains("<format"));
        // Without a pool, exactly what was defined.
        assertFalse(VolumeXml.write(bare).contains("type="), VolumeXml.write(bare));
        assertVolumeValid(dir);
    }

    @Test
    void anOwnerOrGroupOfMinusOneAsUnsignedIsUnset() {
        // Older libvirt wrote (uid_t) -1 as 4294967295; libvirt reads it as "not set".
        VolumeDefinition volume = VolumeXml.parse("<volume><name>v</name><capacity>1</capacity><target>"
                + "<permissions><mode>0600</mode><owner>4294967295</owner><group>4294967295</group>"
                + "</permissions></target></volume>");

        Permissions permissions = volume.target().permissions().orElseThrow();
        assertEquals(OptionalLong.empty(), permissions.owner());
        assertEquals(OptionalLong.empty(), permissions.group());
    }

    private static void assertVolumeValid(String xml) {
        LibvirtSchemas.assertValidVolume(xml);
    }
}
