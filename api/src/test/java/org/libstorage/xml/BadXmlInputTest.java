package org.libstorage.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/**
 * Each kind of bad input is refused with the right code and one sentence naming the element or
 * attribute, the offending value and, where the parser knows it, the line.
 */
class BadXmlInputTest {

    private static String dirPool(String inner) {
        return "<pool type='dir'>\n<name>p</name>\n" + inner + "\n<target><path>/p</path></target>\n</pool>";
    }

    private static String volume(String inner) {
        return "<volume>\n<name>v</name>\n" + inner + "\n</volume>";
    }

    static Stream<Arguments> badPools() {
        return Stream.of(
                bad("malformed XML", "<pool type='dir'><name>p</name>\n<target>", ErrorCode.INVALID_DEFINITION,
                        "not well-formed", "line 2"),
                bad("wrong root", "<domain type='kvm'/>", ErrorCode.INVALID_DEFINITION, "<domain>", "<pool>"),
                bad("missing type", "<pool><name>p</name></pool>", ErrorCode.INVALID_DEFINITION, "'type'"),
                bad("unknown pool type", "<pool type='floppy'>\n<name>p</name></pool>", ErrorCode.INVALID_DEFINITION,
                        "'floppy'", "dir, fs, netfs"),
                bad("missing name", "<pool type='dir'><target><path>/p</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "<name>"),
                bad("name with slash", "<pool type='dir'><name>a/b</name><target><path>/p</path></target></pool>",
                        ErrorCode.INVALID_ARGUMENT, "pool name 'a/b'", "'/'"),
                bad("name with leading dash", "<pool type='dir'><name>-rf</name><target><path>/p</path></target></pool>",
                        ErrorCode.INVALID_ARGUMENT, "pool name '-rf'"),
                bad("bad uuid", dirPool("<uuid>not-a-uuid</uuid>"), ErrorCode.INVALID_DEFINITION,
                        "'not-a-uuid'", "<uuid> on line 3"),
                bad("bad unit", dirPool("<capacity unit='Q'>5</capacity>"), ErrorCode.INVALID_DEFINITION,
                        "unit 'Q'", "<capacity> on line 3"),
                bad("unit bb is not libvirt's", dirPool("<capacity unit='bb'>5</capacity>"),
                        ErrorCode.INVALID_DEFINITION, "unit 'bb'"),
                bad("negative size", dirPool("<allocation>-5</allocation>"), ErrorCode.INVALID_DEFINITION,
                        "'-5'", "negative", "<allocation> on line 3"),
                bad("size overflowing by unit", dirPool("<available unit='EiB'>8</available>"),
                        ErrorCode.INVALID_DEFINITION, "8 EiB", "<available>", "larger"),
                bad("size overflowing 64 bits", dirPool("<capacity>99999999999999999999999</capacity>"),
                        ErrorCode.INVALID_DEFINITION, "99999999999999999999999", "larger"),
                bad("size that is not a number", dirPool("<capacity>ten</capacity>"), ErrorCode.INVALID_DEFINITION,
                        "'ten'", "<capacity>"),
                bad("non-octal mode", "<pool type='dir'><name>p</name><target><path>/p</path>\n"
                        + "<permissions><mode>0999</mode></permissions></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "mode '0999'", "<mode> on line 2"),
                bad("mode too large", "<pool type='dir'><name>p</name><target><path>/p</path>"
                        + "<permissions><mode>17777</mode></permissions></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "mode '17777'"),
                bad("bad owner", "<pool type='dir'><name>p</name><target><path>/p</path>"
                        + "<permissions><owner>root</owner></permissions></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "'root'", "<owner>"),
                bad("bad port", "<pool type='netfs'><name>p</name><source>\n<host name='h' port='70000'/>"
                        + "<dir path='/x'/></source><target><path>/p</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "port '70000'", "<host> on line 2"),
                bad("bad cow state", dirPool("<features><cow state='maybe'/></features>"),
                        ErrorCode.INVALID_DEFINITION, "state='maybe'", "<cow>"),
                bad("host in a dir pool", dirPool("<source><host name='h'/></source>"), ErrorCode.INVALID_DEFINITION,
                        "type 'dir'", "<host>"),
                bad("fs pool without device", "<pool type='fs'><name>p</name><source/><target><path>/p</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "type 'fs'", "<device>"),
                bad("netfs pool without host", "<pool type='netfs'><name>p</name><source><dir path='/x'/></source>"
                        + "<target><path>/p</path></target></pool>", ErrorCode.INVALID_DEFINITION, "type 'netfs'", "<host>"),
                bad("dir pool without target", "<pool type='dir'><name>p</name></pool>", ErrorCode.INVALID_DEFINITION,
                        "type 'dir'", "<target><path>"),
                bad("target on an rbd pool", "<pool type='rbd'><name>p</name><source><name>r</name><host name='m'/>"
                        + "</source><target><path>/p</path></target></pool>", ErrorCode.INVALID_DEFINITION,
                        "type 'rbd'", "<target>"),
                bad("relative target path", "<pool type='dir'><name>p</name><target><path>rel/p</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "'rel/p'", "not absolute"),
                bad("filesystem format on a disk pool", "<pool type='disk'><name>p</name><source>"
                        + "<device path='/dev/sda'/><format type='ext4'/></source><target><path>/dev</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "'ext4'", "type 'disk'", "gpt"),
                bad("password in auth", "<pool type='iscsi'><name>p</name><source><host name='h'/>"
                        + "<device path='iqn.2020-01.org.example:t'/>\n<auth type='chap' username='u' passwd='hunter2'>"
                        + "<secret usage='x'/></auth></source><target><path>/dev/disk/by-path</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "<auth> on line 2", "password"),
                bad("secret with usage and uuid", "<pool type='iscsi'><name>p</name><source><host name='h'/>"
                        + "<device path='iqn.2020-01.org.example:t'/><auth type='chap' username='u'>"
                        + "<secret usage='x' uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/></auth></source>"
                        + "<target><path>/dev/disk/by-path</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "<secret>", "'usage' and 'uuid'"),
                bad("unknown auth type", "<pool type='iscsi'><name>p</name><source><host name='h'/>"
                        + "<device path='iqn.2020-01.org.example:t'/><auth type='kerberos' username='u'>"
                        + "<secret usage='x'/></auth></source><target><path>/dev/disk/by-path</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "'kerberos'", "<auth>"),
                bad("unknown adapter attribute", "<pool type='scsi'><name>p</name><source>"
                        + "<adapter name='host0' speed='fast'/></source><target><path>/dev</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "'speed'", "<adapter>"),
                bad("extent ending before it starts", "<pool type='disk'><name>p</name><source><device path='/dev/sda'>"
                        + "\n<freeExtent start='100' end='10'/></device></source><target><path>/dev</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "<freeExtent> on line 2", "(10)", "(100)"),
                bad("unknown refresh allocation", "<pool type='rbd'><name>p</name><source><name>r</name>"
                        + "<host name='m'/></source><refresh><volume allocation='sometimes'/></refresh></pool>",
                        ErrorCode.INVALID_DEFINITION, "allocation='sometimes'", "<volume>"),
                bad("refresh on a dir pool", dirPool("<refresh><volume allocation='capacity'/></refresh>"),
                        ErrorCode.INVALID_DEFINITION, "type 'dir'", "<refresh>"),
                bad("host name with underscore", "<pool type='netfs'><name>p</name><source><host name='nfs_server'/>"
                        + "<dir path='/x'/></source><target><path>/p</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "'nfs_server'", "DNS name"),
                bad("relative nfs export", "<pool type='netfs'><name>p</name><source><host name='h'/>"
                        + "<dir path='export'/><format type='nfs'/></source><target><path>/p</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "'export'", "not absolute"),
                bad("protocol version on cifs", "<pool type='netfs'><name>p</name><source><host name='h'/>"
                        + "<dir path='share'/><format type='cifs'/><protocol ver='3'/></source>"
                        + "<target><path>/p</path></target></pool>", ErrorCode.INVALID_DEFINITION, "'cifs'", "<protocol>"),
                bad("bad wwnn", "<pool type='scsi'><name>p</name><source><adapter type='fc_host' wwnn='xyz'"
                        + " wwpn='10000000c9831b4b'/></source><target><path>/dev</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "wwnn='xyz'"),
                bad("bad pci slot", "<pool type='scsi'><name>p</name><source><adapter type='scsi_host'><parentaddr>"
                        + "<address domain='0x0000' bus='0x00' slot='99' function='0x0'/></parentaddr></adapter></source>"
                        + "<target><path>/dev</path></target></pool>", ErrorCode.INVALID_DEFINITION, "slot='99'"),
                bad("scsi_host with name and parentaddr", "<pool type='scsi'><name>p</name><source>"
                        + "<adapter type='scsi_host' name='host0'><parentaddr><address domain='0' bus='0' slot='1'"
                        + " function='0'/></parentaddr></adapter></source><target><path>/dev</path></target></pool>",
                        ErrorCode.INVALID_DEFINITION, "scsi_host", "exactly one"),
                bad("iscsi-direct without initiator", "<pool type='iscsi-direct'><name>p</name><source><host name='h'/>"
                        + "<device path='iqn.2020-01.org.example:t'/></source></pool>",
                        ErrorCode.INVALID_DEFINITION, "type 'iscsi-direct'", "<initiator>"));
    }

    static Stream<Arguments> badVolumes() {
        return Stream.of(
                bad("missing name", "<volume><capacity>1</capacity></volume>", ErrorCode.INVALID_DEFINITION, "<name>"),
                bad("name with NUL escape", "<volume><name>..</name><capacity>1</capacity></volume>",
                        ErrorCode.INVALID_ARGUMENT, "volume name '..'"),
                bad("bad unit", volume("<capacity unit='GiBs'>1</capacity>"), ErrorCode.INVALID_DEFINITION,
                        "unit 'GiBs'", "<capacity> on line 3"),
                bad("negative capacity", volume("<capacity>-1</capacity>"), ErrorCode.INVALID_DEFINITION,
                        "'-1'", "negative"),
                bad("overflowing allocation", volume("<capacity>1</capacity><allocation unit='P'>9000</allocation>"),
                        ErrorCode.INVALID_DEFINITION, "9000 P", "<allocation>"),
                bad("unknown volume type", "<volume type='tape'><name>v</name><capacity>1</capacity></volume>",
                        ErrorCode.INVALID_DEFINITION, "'tape'"),
                bad("bad mode", volume("<capacity>1</capacity><target><permissions><mode>rwx</mode></permissions></target>"),
                        ErrorCode.INVALID_DEFINITION, "mode 'rwx'"),
                bad("bad timestamp", volume("<capacity>1</capacity><target><timestamps><atime>yesterday</atime>"
                        + "</timestamps></target>"), ErrorCode.INVALID_DEFINITION, "'yesterday'", "<atime>"),
                bad("bad compat", volume("<capacity>1</capacity><target><compat>v3</compat></target>"),
                        ErrorCode.INVALID_DEFINITION, "'v3'", "<compat>"),
                bad("unknown feature", volume("<capacity>1</capacity><target><features><turbo/></features></target>"),
                        ErrorCode.INVALID_DEFINITION, "<turbo>", "lazy_refcounts"),
                bad("unknown encryption format", volume("<capacity>1</capacity><target>\n"
                        + "<encryption format='rot13'/></target>"), ErrorCode.INVALID_DEFINITION, "'rot13'",
                        "<encryption> on line 4"),
                bad("cipher without ivgen", volume("<capacity>1</capacity><target><encryption format='luks'>"
                        + "<secret type='passphrase' usage='s'/><cipher name='aes' size='256'/></encryption></target>"),
                        ErrorCode.INVALID_DEFINITION, "<cipher>", "<ivgen>"),
                bad("passphrase inline", volume("<capacity>1</capacity><target><encryption format='luks'>"
                        + "<secret type='volume' usage='s'/></encryption></target>"),
                        ErrorCode.INVALID_DEFINITION, "secret type 'volume'"),
                bad("zero cluster size", volume("<capacity>1</capacity><target><clusterSize>0</clusterSize></target>"),
                        ErrorCode.INVALID_DEFINITION, "<clusterSize>", "zero"),
                bad("backing store without path", volume("<capacity>1</capacity><backingStore/>"),
                        ErrorCode.INVALID_DEFINITION, "<backingStore>", "<path>"),
                bad("relative backing store", volume("<capacity>1</capacity><backingStore><path>base.qcow2</path>"
                        + "</backingStore>"), ErrorCode.INVALID_DEFINITION, "'base.qcow2'", "not an absolute path"),
                bad("relative extent device", volume("<source><device path='sda'><extent start='0' end='1'/></device>"
                        + "</source><capacity>1</capacity>"), ErrorCode.INVALID_DEFINITION, "'sda'", "absolute"),
                bad("extent without end", volume("<source><device path='/dev/sda'><extent start='0'/></device></source>"
                        + "<capacity>1</capacity>"), ErrorCode.INVALID_DEFINITION, "<extent>", "'end'"));
    }

    private static Arguments bad(String name, String xml, ErrorCode code, String... fragments) {
        return Arguments.of(name, xml, code, fragments);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPools")
    void refusesBadPoolXml(String name, String xml, ErrorCode code, String[] fragments) {
        assertRefused(PoolXml::parse, xml, code, fragments);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badVolumes")
    void refusesBadVolumeXml(String name, String xml, ErrorCode code, String[] fragments) {
        assertRefused(VolumeXml::parse, xml, code, fragments);
    }

    private static void assertRefused(Function<String, ?> parser, String xml, ErrorCode code, String[] fragments) {
        StorageException e = assertThrows(StorageException.class, () -> parser.apply(xml));
        assertEquals(code, e.code(), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' missing from: " + e.getMessage());
        }
        assertTrue(e.getMessage().endsWith("."), "one sentence: " + e.getMessage());
    }
}
