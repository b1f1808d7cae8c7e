package org.libstorage.xml;

import java.util.List;
import java.util.Optional;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;

/** libvirt {@code <pool>} XML. */
public final class PoolXml {
    private PoolXml() {
    }

    /** Parses a {@code <pool>} document; refuses DTDs and external entities. */
    public static PoolDefinition parse(String xml) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Writes a {@code <pool>} document, with capacity/allocation/available when {@code info} is given. */
    public static String write(PoolDefinition definition, Optional<PoolInfo> info) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Writes a {@code <sources>} document, as find-pool-sources prints it. */
    public static String writeSources(List<PoolSource> sources) {
        throw new UnsupportedOperationException("not yet");
    }
}
