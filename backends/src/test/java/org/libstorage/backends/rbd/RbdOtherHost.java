package org.libstorage.backends.rbd;

import java.nio.file.Files;
import java.nio.file.Path;
import org.libstorage.Pool;
import org.libstorage.Storage;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;

/**
 * A second host for {@link RbdStorageTest}: its own process and configuration directory. Defines
 * the pool from the XML file, starts it, prints the volume names it sees, then creates one.
 * Arguments: CONFIG-DIR KEY POOL-XML-FILE NEW-VOLUME.
 */
public final class RbdOtherHost {
    private RbdOtherHost() {
    }

    public static void main(String[] args) throws Exception {
        Storage storage = RbdStorageTest.openStorage(Path.of(args[0]), args[1]);
        try {
            Pool pool = storage.definePoolXml(Files.readString(Path.of(args[2])));
            pool.start();
            for (Volume v : pool.volumes()) {
                System.out.println(v.name());
            }
            pool.createVolume(VolumeDefinition.builder(args[3], 1 << 20).build());
        } finally {
            storage.close();
        }
    }
}
