package org.libstorage.benchmarks;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.libstorage.nativelib.Blkid;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Probing 1,000 images for what they hold (filesystem type, UUID, label): libblkid in-process
 * ({@link Blkid#probe}) against one {@code blkid -p} process per image, which is what a tool
 * without the library would run. A third of the images hold ext4, a third a gpt partition
 * table, a third nothing. One operation probes every image once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BlkidProbeBenchmark {
    @Param("1000")
    int images;

    private Path dir;
    private final List<Path> paths = new ArrayList<>();

    @Setup(Level.Trial)
    public void makeImages() throws IOException, InterruptedException {
        dir = Files.createTempDirectory(Path.of(System.getProperty("libstorage.bench.dir", "/var/tmp")), "blkid-bench");
        Path ext4 = template("ext4.img", "mkfs.ext4", "-q", "-F");
        Path gpt = template("gpt.img", "sfdisk", "-q");
        Path empty = template("empty.img");
        for (int i = 0; i < images; i++) {
            Path image = dir.resolve("image-" + i + ".img");
            Files.copy(switch (i % 3) { case 0 -> ext4; case 1 -> gpt; default -> empty; }, image);
            paths.add(image);
        }
    }

    /** A 4 MiB sparse image, prepared by a command (mkfs, sfdisk) when one is given. */
    private Path template(String name, String... command) throws IOException, InterruptedException {
        Path image = dir.resolve(name);
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(4L << 20);
        }
        if (command.length > 0) {
            List<String> argv = new ArrayList<>(List.of(command));
            argv.add(image.toString());
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
            if (command[0].equals("sfdisk")) {
                pb.redirectInput(ProcessBuilder.Redirect.from(Files.writeString(dir.resolve("layout"),
                        "label: gpt\nstart=2048, size=4096\n").toFile()));
            }
            Process p = pb.start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", argv) + " failed");
            }
        }
        return image;
    }

    @TearDown(Level.Trial)
    public void removeImages() throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public void inProcess(Blackhole hole) {
        Blkid blkid = Blkid.instance();
        for (Path image : paths) {
            hole.consume(blkid.probe(image));
        }
    }

    @Benchmark
    public void blkidProcessPerImage(Blackhole hole) throws IOException, InterruptedException {
        for (Path image : paths) {
            Process p = new ProcessBuilder("blkid", "-p", "-o", "export", image.toString())
                    .redirectErrorStream(true).start();
            hole.consume(p.getInputStream().readAllBytes());
            // blkid -p exits 2 when it finds nothing: that is an answer too.
            int status = p.waitFor();
            if (status != 0 && status != 2) {
                throw new IOException("blkid -p " + image + " exited " + status);
            }
        }
    }
}
