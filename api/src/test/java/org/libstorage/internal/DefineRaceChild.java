package org.libstorage.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;

/**
 * One contender of {@link DefineRaceTest}, run in its own JVM: waits for the start file, then
 * defines pools {@code <name>-0 .. <name>-(rounds-1)} one after the other, printing for each
 * {@code DEFINED} or the error code it got.
 */
public final class DefineRaceChild {
    private DefineRaceChild() {
    }

    public static void main(String[] args) throws Exception {
        Path config = Path.of(args[0]);
        String name = args[1];
        Path target = Path.of(args[2]);
        Path go = Path.of(args[3]);
        int rounds = Integer.parseInt(args[4]);
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config))) {
            System.out.println("READY");
            System.out.flush();
            while (!Files.exists(go)) {
                Thread.onSpinWait();
            }
            for (int round = 0; round < rounds; round++) {
                try {
                    storage.definePool(StorageTestSupport.dirPool(name + "-" + round, target.resolve("round-" + round)));
                    System.out.println("DEFINED");
                } catch (StorageException e) {
                    System.out.println(e.code());
                }
            }
        }
    }
}
