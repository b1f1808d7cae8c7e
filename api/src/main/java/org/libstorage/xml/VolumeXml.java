package org.libstorage.xml;

import org.libstorage.VolumeDefinition;

/** libvirt {@code <volume>} XML. */
public final class VolumeXml {
    private VolumeXml() {
    }

    public static VolumeDefinition parse(String xml) {
        throw new UnsupportedOperationException("not yet");
    }

    public static String write(VolumeDefinition definition) {
        throw new UnsupportedOperationException("not yet");
    }
}
