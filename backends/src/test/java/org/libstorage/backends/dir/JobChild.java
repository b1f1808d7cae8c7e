package org.libstorage.backends.dir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.StageHook;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.WipeAlgorithm;

/**
 * One long operation in its own JVM, for the tests that watch or kill it: {@code CONFIG STAGE
 * ACTION ARGS...}. When the operation reaches {@code STAGE} (a {@link StageHook} stage), it prints
 * {@code AT <stage>} and waits for a line on stdin before going on, so the test can look at the
 * system, or kill the process there. Prints {@code DONE} at the end, or the error code.
 *
 * <p>Actions: {@code create POOL NAME CAPACITY ALLOCATION FORMAT}, {@code clone POOL SOURCE NAME},
 * {@code copy SOURCEPOOL SOURCE POOL NAME}, {@code wipe POOL NAME}, {@code upload POOL NAME}
 * (stage {@code uploading}: the channel is open), {@code define POOL TARGET}.
 */
public final class JobChild {
    private JobChild() {
    }

    public static void main(String[] args) throws IOException {
        Path config = Path.of(args[0]);
        String holdAt = args[1];
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StageHook hook = (operation, stage) -> {
            if (stage.equals(holdAt)) {
                hold(in, stage);
            }
        };
        try (Storage storage = Storage.open(StorageConfig.ofDirectory(config).withStageHook(hook))) {
            run(storage, args, in, holdAt);
            System.out.println("DONE");
        } catch (StorageException e) {
            System.out.println(e.code() + " " + e.getMessage());
        }
        System.out.flush();
    }

    private static void hold(BufferedReader in, String stage) {
        System.out.println("AT " + stage);
        System.out.flush();
        try {
            in.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void run(Storage storage, String[] args, BufferedReader in, String holdAt) throws IOException {
        switch (args[2]) {
            case "create" -> storage.requirePool(args[3]).createVolume(VolumeDefinition.builder(args[4],
                    Long.parseLong(args[5])).allocation(Long.parseLong(args[6])).format(new VolumeFormat(args[7])).build());
            case "clone" -> storage.requirePool(args[3]).requireVolume(args[4]).cloneAs(args[5], ProgressListener.NONE);
            case "copy" -> {
                var source = storage.requirePool(args[3]).requireVolume(args[4]);
                storage.requirePool(args[5]).createVolumeFrom(
                        VolumeDefinition.builder(args[6], source.info().capacity()).build(), source, ProgressListener.NONE);
            }
            case "wipe" -> storage.requirePool(args[3]).requireVolume(args[4]).wipe(WipeAlgorithm.ZERO,
                    ProgressListener.NONE);
            case "upload" -> {
                try (WritableByteChannel channel = storage.requirePool(args[3]).requireVolume(args[4]).upload(0, -1)) {
                    channel.write(ByteBuffer.wrap("uploaded".getBytes(StandardCharsets.UTF_8)));
                    if (holdAt.equals("uploading")) {
                        hold(in, "uploading");
                    }
                }
            }
            case "define" -> storage.definePool(PoolDefinition.builder(PoolType.DIR, args[3])
                    .targetPath(Path.of(args[4])).build());
            default -> throw new IllegalArgumentException("unknown action " + args[2]);
        }
    }
}
