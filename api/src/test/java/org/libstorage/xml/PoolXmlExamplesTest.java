package org.libstorage.xml;

import org.libstorage.testing.LibvirtSchemas;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolState;

/**
 * Every pool type libvirt defines, in documents written after the examples of libvirt's storage
 * XML documentation and its storagepoolxml2xml test inputs: each parses, writes a document that
 * libvirt's storagepool.rng accepts, and parses back to an equal definition.
 */
class PoolXmlExamplesTest {

    static Stream<Arguments> examples() {
        return Stream.of(
                example("dir", """
                        <pool type="dir">
                          <name>virtimages</name>
                          <uuid>70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2</uuid>
                          <capacity unit="G">20</capacity>
                          <allocation>0</allocation>
                          <available unit="KiB">1024</available>
                          <source>
                          </source>
                          <target>
                            <path>/var/lib/virt/images</path>
                            <permissions>
                              <mode>0755</mode>
                              <owner>-1</owner>
                              <group>-1</group>
                            </permissions>
                          </target>
                        </pool>
                        """),
                example("dir with cow feature and label", """
                        <pool type='dir'>
                          <name>cowpool</name>
                          <features>
                            <cow state='no'/>
                          </features>
                          <target>
                            <path>/srv/images</path>
                            <permissions>
                              <mode>0700</mode>
                              <owner>107</owner>
                              <group>107</group>
                              <label>system_u:object_r:virt_image_t:s0</label>
                            </permissions>
                          </target>
                        </pool>
                        """),
                example("fs", """
                        <pool type="fs">
                          <name>virtimages</name>
                          <uuid>70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2</uuid>
                          <source>
                            <device path="/dev/VolGroup00/VirtImages"/>
                            <format type="ext4"/>
                          </source>
                          <target>
                            <path>/var/lib/virt/images</path>
                          </target>
                        </pool>
                        """),
                example("fs with mount options", """
                        <pool type='fs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>
                          <name>mounted</name>
                          <source>
                            <device path='/dev/sdc1'/>
                            <format type='xfs'/>
                          </source>
                          <target>
                            <path>/mnt/mounted</path>
                          </target>
                          <fs:mount_opts>
                            <fs:option name='sync'/>
                            <fs:option name='lazytime'/>
                          </fs:mount_opts>
                        </pool>
                        """),
                example("netfs", """
                        <pool type="netfs">
                          <name>nfsimages</name>
                          <source>
                            <host name="nfs.example.com"/>
                            <dir path="/var/lib/virt/images"/>
                            <format type="nfs"/>
                            <protocol ver="3"/>
                          </source>
                          <target>
                            <path>/var/lib/virt/images</path>
                          </target>
                        </pool>
                        """),
                example("netfs with a prefixed namespace of another name", """
                        <pool type='netfs' xmlns:mnt='http://libvirt.org/schemas/storagepool/fs/1.0'>
                          <name>nfsopts</name>
                          <source>
                            <host name='192.168.1.10'/>
                            <dir path='/export'/>
                            <format type='auto'/>
                          </source>
                          <target>
                            <path>/mnt/export</path>
                          </target>
                          <mnt:mount_opts>
                            <mnt:option name='nodev'/>
                            <mnt:option name='nosuid'/>
                          </mnt:mount_opts>
                        </pool>
                        """),
                example("netfs cifs", """
                        <pool type='netfs'>
                          <name>cifsshare</name>
                          <source>
                            <host name='smb.example.com'/>
                            <dir path='share'/>
                            <format type='cifs'/>
                          </source>
                          <target>
                            <path>/mnt/cifs</path>
                          </target>
                        </pool>
                        """),
                example("netfs glusterfs", """
                        <pool type='netfs'>
                          <name>glusterfuse</name>
                          <source>
                            <host name='gluster.example.com'/>
                            <dir path='volume'/>
                            <format type='glusterfs'/>
                          </source>
                          <target>
                            <path>/mnt/gluster</path>
                          </target>
                        </pool>
                        """),
                example("logical", """
                        <pool type="logical">
                          <name>HostVG</name>
                          <source>
                            <device path="/dev/sda1"/>
                            <device path="/dev/sdb1"/>
                            <device path="/dev/sdc1"/>
                          </source>
                          <target>
                            <path>/dev/HostVG</path>
                          </target>
                        </pool>
                        """),
                example("logical with source name and free extents", """
                        <pool type='logical'>
                          <name>vms</name>
                          <source>
                            <name>vg_vms</name>
                            <device path='/dev/loop0'>
                              <freeExtent start='1048576' end='104857600'/>
                            </device>
                            <format type='lvm2'/>
                          </source>
                          <target>
                            <path>/dev/vg_vms</path>
                            <permissions>
                              <mode>0700</mode>
                            </permissions>
                          </target>
                        </pool>
                        """),
                example("logical without a pool name or target", """
                        <pool type='logical'>
                          <source>
                            <name>onlysource</name>
                          </source>
                        </pool>
                        """),
                example("logical naming a thin pool in its volume group", """
                        <pool type='logical'>
                          <name>thin</name>
                          <source>
                            <name>vg_vms/pool0</name>
                          </source>
                          <target>
                            <path>/dev/vg_vms</path>
                          </target>
                        </pool>
                        """),
                example("disk", """
                        <pool type="disk">
                          <name>sda</name>
                          <source>
                            <device path='/dev/sda' part_separator='no'>
                              <freeExtent start='32256' end='1048576'/>
                              <freeExtent start='2097152' end='8388608'/>
                            </device>
                            <format type='gpt'/>
                          </source>
                          <target>
                            <path>/dev</path>
                          </target>
                        </pool>
                        """),
                example("iscsi", """
                        <pool type="iscsi">
                          <name>virtimages</name>
                          <source>
                            <host name="iscsi.example.com" port="3260"/>
                            <device path="iqn.2013-06.com.example:iscsi-pool"/>
                            <initiator>
                              <iqn name='iqn.2013-06.com.example:iscsi-initiator'/>
                            </initiator>
                            <auth type='chap' username='myname'>
                              <secret usage='mycluster_myname'/>
                            </auth>
                            <vendor name='test-vendor'/>
                            <product name='test-product'/>
                          </source>
                          <target>
                            <path>/dev/disk/by-path</path>
                          </target>
                        </pool>
                        """),
                example("iscsi with a secret by uuid", """
                        <pool type='iscsi'>
                          <name>secured</name>
                          <source>
                            <host name='10.0.0.5'/>
                            <device path='iqn.2001-05.com.example:storage.disk1'/>
                            <auth type='chap' username='user'>
                              <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>
                            </auth>
                          </source>
                          <target>
                            <path>/dev/disk/by-path</path>
                          </target>
                        </pool>
                        """),
                example("iscsi-direct", """
                        <pool type="iscsi-direct">
                          <name>iscsi-direct-pool</name>
                          <source>
                            <host name="iscsi.example.com"/>
                            <device path="iqn.2013-06.com.example:iscsi-pool"/>
                            <initiator>
                              <iqn name="iqn.2013-06.com.example:iscsi-initiator"/>
                            </initiator>
                            <auth type='chap' username='admin'>
                              <secret usage='iscsi-direct-secret'/>
                            </auth>
                          </source>
                        </pool>
                        """),
                example("scsi by host name", """
                        <pool type="scsi">
                          <name>virtimages</name>
                          <source>
                            <adapter name="host0"/>
                          </source>
                          <target>
                            <path>/dev/disk/by-path</path>
                          </target>
                        </pool>
                        """),
                example("scsi_host by parent address", """
                        <pool type='scsi'>
                          <name>stable</name>
                          <source>
                            <adapter type='scsi_host'>
                              <parentaddr unique_id='1'>
                                <address domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>
                              </parentaddr>
                            </adapter>
                          </source>
                          <target>
                            <path>/dev/disk/by-path</path>
                          </target>
                        </pool>
                        """),
                example("fc_host", """
                        <pool type='scsi'>
                          <name>vhba</name>
                          <source>
                            <adapter type='fc_host' parent='scsi_host5' managed='yes' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>
                          </source>
                          <target>
                            <path>/dev/disk/by-path</path>
                            <permissions>
                              <mode>0700</mode>
                              <owner>0</owner>
                              <group>0</group>
                            </permissions>
                          </target>
                        </pool>
                        """),
                example("fc_host by parent fabric", """
                        <pool type='scsi'>
                          <name>fabric</name>
                          <source>
                            <adapter type='fc_host' parent_fabric_wwn='2001000dec9877c1' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>
                          </source>
                          <target>
                            <path>/dev/disk/by-path</path>
                          </target>
                        </pool>
                        """),
                example("mpath", """
                        <pool type="mpath">
                          <name>virtimages</name>
                          <target>
                            <path>/dev/mapper</path>
                          </target>
                        </pool>
                        """),
                example("rbd", """
                        <pool type="rbd">
                          <name>myrbdpool</name>
                          <source>
                            <name>rbdpool</name>
                            <host name='1.2.3.4' port='6789'/>
                            <host name='my.ceph.monitor' port='6789'/>
                            <host name='third.ceph.monitor' port='6789'/>
                            <auth username='admin' type='ceph'>
                              <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>
                            </auth>
                          </source>
                        </pool>
                        """),
                example("rbd with config options", """
                        <pool type='rbd' xmlns:rbd='http://libvirt.org/schemas/storagepool/rbd/1.0'>
                          <name>cephopts</name>
                          <source>
                            <name>rbd</name>
                            <host name='mon1.example.org' port='6789'/>
                          </source>
                          <rbd:config_opts>
                            <rbd:option name='client_mount_timeout' value='45'/>
                            <rbd:option name='rados_mon_op_timeout' value='20'/>
                          </rbd:config_opts>
                        </pool>
                        """),
                example("rbd refreshing allocation as capacity", """
                        <pool type='rbd'>
                          <name>ceph</name>
                          <uuid>47c1faee-0207-e741-f5ae-d9b019b98fe2</uuid>
                          <source>
                            <name>rbd</name>
                            <host name='localhost' port='6789'/>
                            <host name='localhost' port='6790'/>
                            <auth username='admin' type='ceph'>
                              <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>
                            </auth>
                          </source>
                          <refresh>
                            <volume allocation='capacity'/>
                          </refresh>
                        </pool>
                        """),
                example("rbd with an IPv6 monitor", """
                        <pool type='rbd'>
                          <name>ceph6</name>
                          <source>
                            <name>rbd</name>
                            <host name='2205::192:168:205:141' port='6789'/>
                            <host name='2001:db8::1'/>
                          </source>
                        </pool>
                        """),
                example("dir with untidy path and label", """
                        <pool type='dir'>
                          <name>virtimages</name>
                          <capacity>0</capacity>
                          <source>
                          </source>
                          <target>
                            <path>///var/////lib/images/&lt;odd&gt;//</path>
                            <permissions>
                              <mode>0700</mode>
                              <owner>-1</owner>
                              <group>-1</group>
                              <label>some_label_t</label>
                            </permissions>
                          </target>
                        </pool>
                        """),
                example("disk with vendor inside format", """
                        <pool type='disk'>
                          <name>vendored</name>
                          <source>
                            <device path='/dev/sdb'/>
                            <format type='dos'>
                              <vendor name='ACME'/>
                            </format>
                          </source>
                          <target>
                            <path>/dev</path>
                          </target>
                        </pool>
                        """),
                example("sheepdog", """
                        <pool type="sheepdog">
                          <name>mysheeppool</name>
                          <source>
                            <name>mysheeppool</name>
                            <host name='localhost' port='7000'/>
                          </source>
                        </pool>
                        """),
                example("gluster", """
                        <pool type="gluster">
                          <name>myglusterpool</name>
                          <source>
                            <name>volname</name>
                            <host name='localhost'/>
                            <dir path='/'/>
                          </source>
                        </pool>
                        """),
                example("zfs", """
                        <pool type="zfs">
                          <name>myzfspool</name>
                          <source>
                            <name>zpoolname</name>
                            <device path="/dev/ada1"/>
                          </source>
                        </pool>
                        """),
                example("zfs with target", """
                        <pool type='zfs'>
                          <name>tank</name>
                          <source>
                            <name>tank</name>
                          </source>
                          <target>
                            <path>/dev/zvol/tank</path>
                          </target>
                        </pool>
                        """),
                example("vstorage", """
                        <pool type="vstorage">
                          <name>myvstoragepool</name>
                          <source>
                            <name>clustername</name>
                          </source>
                          <target>
                            <path>/mnt/clustername</path>
                          </target>
                        </pool>
                        """));
    }

    private static Arguments example(String name, String xml) {
        return Arguments.of(name, xml);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void parsesWritesValidXmlAndParsesBackEqual(String name, String xml) {
        PoolDefinition parsed = PoolXml.parse(xml);

        String written = PoolXml.write(parsed, Optional.empty());
        LibvirtSchemas.assertValidPool(written);
        assertEquals(parsed, PoolXml.parse(written), written);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void writesSizesOfARunningPoolInBytes(String name, String xml) {
        PoolDefinition parsed = PoolXml.parse(xml);
        PoolInfo info = new PoolInfo(PoolState.RUNNING, 107374182400L, 53687091200L, 53687091200L);

        String written = PoolXml.write(parsed, Optional.of(info));
        LibvirtSchemas.assertValidPool(written);
        assertEquals(parsed, PoolXml.parse(written), written);
    }
}
