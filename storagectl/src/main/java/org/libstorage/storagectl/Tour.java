package org.libstorage.storagectl;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.libstorage.ErrorCode;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * A guided run of the main operations on a throwaway directory pool in a temporary directory,
 * printed as a short tutorial. Every step runs the real storagectl verb it shows, against a
 * configuration kept in the temporary directory, so the user's own pools are never touched.
 */
@Command(name = "tour",
        description = "A guided run of the main operations on a throwaway directory pool in a temporary "
                + "directory (your own configuration is not touched); cleans up after itself.")
final class Tour implements Callable<Integer> {
    private static final String POOL = "tour";

    @ParentCommand
    Storagectl root;

    @Option(names = "--keep", description = "Keep the temporary directory (stop and undefine nothing) to look around.")
    boolean keep;

    private Storage storage;
    private Path config;
    private int step;

    /** A step's verb failed; the verb has printed why. */
    private static final class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        StepFailed(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = root.out();
        Path work = Files.createTempDirectory("storagectl-tour-");
        config = work.resolve("config");
        Path poolDir = work.resolve("pool");
        Path files = Files.createDirectory(work.resolve("files"));
        out.println("storagectl tour: the main operations on a throwaway directory pool.");
        out.println("Working in " + work + (keep ? " (kept afterwards)." : " (removed at the end)."));
        out.println("Each command below really runs, as 'storagectl --config-dir " + config + " ...',");
        out.println("so your own pools and configuration are not touched.");
        int status = 0;
        try (Storage opened = root.opener().apply(StorageConfig.ofDirectory(config))) {
            storage = opened;
            try {
                steps(poolDir, files);
                out.println();
                out.println("Tour complete: every step above is a storagectl command you can run yourself.");
            } catch (StepFailed e) {
                status = e.status;
                out.println();
                out.println("The tour stopped at step " + step + "; the error is above.");
            } finally {
                if (!keep) {
                    cleanUp();
                }
            }
        } finally {
            if (!keep) {
                deleteTree(work);
            }
            out.flush();
        }
        return status;
    }

    private void steps(Path poolDir, Path files) throws StepFailed, IOException {
        explain("Define a directory pool. Its definition is libvirt pool XML, kept in the config directory.");
        run("pool-define-as", POOL, "dir", "--target", poolDir.toString());

        explain("Build it: for a directory pool, that makes the target directory.");
        run("pool-build", POOL);

        explain("Start it: the pool scans its directory and reports its space.");
        run("pool-start", POOL);
        run("pool-info", POOL);
        run("pool-dumpxml", POOL);

        explain("Create a 1 GiB raw volume. It is sparse: nothing is allocated until data is written.");
        run("vol-create-as", POOL, "sparse.img", "1GiB");

        explain("Create a 16 MiB volume that is fully allocated now (fallocate), so writes never run out of space.");
        run("vol-create-as", POOL, "full.img", "16MiB", "--allocation", "16MiB");

        explain("Create a qcow2 image (through qemu-img, the one tool with no library).");
        optional(run(true, "vol-create-as", POOL, "disk.qcow2", "1GiB", "--format", "qcow2"));

        explain("List the pool's volumes with their sizes.");
        run("vol-list", POOL, "--details");

        explain("Upload a file into the sparse volume, 1 MiB in. Only the written range gets allocated.");
        Path sample = files.resolve("sample.txt");
        Files.writeString(sample, sampleText(), StandardCharsets.UTF_8);
        run("vol-upload", "sparse.img", sample.toString(), "--pool", POOL, "--offset", "1MiB");
        indent("(Sizes are measured when the pool is refreshed, as in libvirt: refresh to see the new allocation.)");
        run("pool-refresh", POOL);
        run("vol-info", "sparse.img", "--pool", POOL);

        explain("Clone it. The copy is a reflink where the filesystem can, else a copy of the data extents only.");
        run("vol-clone", "sparse.img", "copy.img", "--pool", POOL);

        explain("Download the same range from the clone and compare it with the file uploaded.");
        Path downloaded = files.resolve("downloaded.txt");
        run("vol-download", "copy.img", downloaded.toString(), "--pool", POOL,
                "--offset", "1MiB", "--length", Long.toString(Files.size(sample)));
        boolean same = Files.mismatch(sample, downloaded) == -1;
        indent(same ? "The downloaded bytes match the uploaded file." : "The downloaded bytes DIFFER from the uploaded file!");
        if (!same) {
            throw new StepFailed(ErrorCode.INTERNAL_ERROR.category().exitStatus());
        }

        explain("Grow the clone to 2 GiB (shrinking would need --shrink).");
        run("vol-resize", "copy.img", "2GiB", "--pool", POOL);

        explain("Take a snapshot of the sparse volume: a reflink where possible, else a qcow2 overlay.");
        optional(run(true, "vol-snapshot", "sparse.img", "sparse-snap.img", "--pool", POOL));

        explain("Wipe the preallocated volume with zeros (ranges are zeroed, not written byte by byte).");
        run("vol-wipe", "full.img", "--pool", POOL, "--algorithm", "zero");

        explain("Look at one volume closely: its info, key, and libvirt volume XML.");
        run("vol-info", "copy.img", "--pool", POOL);
        run("vol-key", "copy.img", "--pool", POOL);
        run("vol-dumpxml", "copy.img", "--pool", POOL);

        explain("Refresh the pool (volumes made outside storagectl would appear too) and list it again.");
        run("pool-refresh", POOL);
        run("vol-list", POOL, "--details");

        explain("Delete the volumes.");
        for (Volume v : storage.requirePool(POOL).volumes()) {
            run("vol-delete", v.name(), "--pool", POOL);
        }

        explain("Stop the pool, delete its directory, and remove its definition.");
        run("pool-stop", POOL);
        run("pool-delete", POOL);
        run("pool-undefine", POOL);
        run("pool-list", "--all");
    }

    private static String sampleText() {
        StringBuilder text = new StringBuilder();
        for (int line = 1; text.length() < 64 * 1024; line++) {
            text.append("line ").append(line).append(": uploaded by storagectl tour\n");
        }
        return text.toString();
    }

    private void explain(String text) {
        PrintWriter out = root.out();
        out.println();
        out.println(++step + ". " + text);
        out.flush();
    }

    private void indent(String text) {
        PrintWriter out = root.out();
        text.lines().forEach(line -> out.println("     " + line));
        out.flush();
    }

    private void run(String... args) throws StepFailed {
        int status = run(false, args);
        if (status != 0) {
            throw new StepFailed(status);
        }
    }

    /** Runs one storagectl verb against the tour's storage, showing the command and its output. */
    private int run(boolean mayBeUnsupported, String... args) throws StepFailed {
        PrintWriter out = root.out();
        out.println("   $ storagectl " + String.join(" ", args));
        out.flush();
        StringWriter captured = new StringWriter();
        Storagectl child = new Storagectl(ignored -> storage, root.terminal(), false);
        List<String> argv = new ArrayList<>(List.of("--config-dir", config.toString()));
        argv.addAll(List.of(args));
        int status;
        try (PrintWriter childOut = new PrintWriter(captured)) {
            String[] line = argv.toArray(String[]::new);
            status = Storagectl.commandLine(child, childOut, root.err(), line).execute(line);
        }
        indent(captured.toString());
        if (status != 0 && !(mayBeUnsupported && status == ErrorCode.Category.UNSUPPORTED.exitStatus())) {
            throw new StepFailed(status);
        }
        return status;
    }

    private void optional(int status) {
        if (status != 0) {
            indent("(skipped: not available on this host, as the error above says; the tour goes on.)");
        }
    }

    /** Undoes whatever the tour left behind when it stopped early; each part may already be gone. */
    private void cleanUp() {
        storage.pool(POOL).ifPresent(pool -> {
            try {
                if (pool.isActive()) {
                    pool.volumes().forEach(v -> ignoringErrors(v::delete));
                    ignoringErrors(pool::stop);
                }
                ignoringErrors(pool::delete);
                ignoringErrors(pool::undefine);
            } catch (RuntimeException e) {
                root.err().println("tour: could not clean up pool '" + POOL + "': " + e.getMessage());
            }
        });
    }

    private static void ignoringErrors(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            // best effort: the directory below is removed anyway
        }
    }

    private void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            root.err().println("tour: could not remove " + dir + ": " + Storagectl.describe(e));
        }
    }
}
