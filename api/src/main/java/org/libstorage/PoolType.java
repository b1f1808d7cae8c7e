package org.libstorage;

import java.util.Arrays;
import java.util.Optional;

/** Every pool type libvirt's storage XML defines; a backend may or may not run each here. */
public enum PoolType {
    DIR("dir"), FS("fs"), NETFS("netfs"), LOGICAL("logical"), DISK("disk"), ISCSI("iscsi"),
    ISCSI_DIRECT("iscsi-direct"), SCSI("scsi"), MPATH("mpath"), RBD("rbd"), SHEEPDOG("sheepdog"),
    GLUSTER("gluster"), ZFS("zfs"), VSTORAGE("vstorage");

    private final String xmlName;

    PoolType(String xmlName) {
        this.xmlName = xmlName;
    }

    /** The name used in {@code <pool type='...'>} and on storagectl's command line. */
    public String xmlName() {
        return xmlName;
    }

    public static Optional<PoolType> fromXmlName(String name) {
        return Arrays.stream(values()).filter(t -> t.xmlName.equals(name)).findFirst();
    }

    @Override
    public String toString() {
        return xmlName;
    }
}
