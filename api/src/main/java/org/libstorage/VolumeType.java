package org.libstorage;

/** Mirrors libvirt's virStorageVolType, named as in the {@code <volume type='...'>} attribute. */
public enum VolumeType {
    FILE("file"), BLOCK("block"), DIR("dir"), NETWORK("network"), NETDIR("netdir"), PLOOP("ploop");

    private final String xmlName;

    VolumeType(String xmlName) {
        this.xmlName = xmlName;
    }

    public String xmlName() {
        return xmlName;
    }
}
