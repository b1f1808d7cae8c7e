package org.libstorage.benchmarks.compare;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.libstorage.BuildMode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.nativelib.Blkid;
import org.libstorage.nativelib.LoopDevice;
import org.libstorage.nativelib.LoopDevices;
import org.libvirt.Connect;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;

/**
 * {@code bin/bench compare}: one side-by-side run in one JVM. Each phase is measured for
 * libstorage (its public API), for its peer (libvirt 9 through libvirt-java, {@code virsh},
 * {@code blkid -p}) and, where one exists, for the bare syscall floor ({@link Floor}); the
 * contenders of a phase run one after another within each repetition, their order rotated
 * from one repetition to the next, so a burst of load on this shared machine falls on all of
 * them alike. The report is the median of the repetitions and the ratios of the medians.
 *
 * <p>Root only: it starts its own libvirtd ({@link PrivateLibvirtd}), makes loop-mounted ext4
 * and XFS filesystems for the clones, and removes everything on exit, failure or Ctrl-C.
 *
 * <pre>
 * bin/bench compare [--reps N] [--warmup N] [--only create,list,lookup,clone,cli,blkid,lvm]
 *                   [--volumes N] [--creates N] [--images N] [--cli-runs N] [--dir DIR] [--out DIR]
 * </pre>
 */
public final class Compare {
    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;
    private static final List<String> PHASES = List.of("create", "list", "lookup", "clone", "cli", "blkid", "lvm");

    private final Options options;
    private final Deque<Runnable> cleanup = new ArrayDeque<>();
    private final List<Phase> phases = new ArrayList<>();
    private final List<double[]> loads = new ArrayList<>();
    private Path scratch;
    private Storage storage;
    private Connect libvirt;
    private String libvirtVersion = "?";

    record Options(int reps, int warmup, Set<String> only, int volumes, int creates, int images, int cliRuns,
                   Path dir, Path out, Path root) {
    }

    private Compare(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        int reps = 3;
        int warmup = 1;
        Set<String> only = new LinkedHashSet<>(PHASES);
        int volumes = 10_000;
        int creates = 1_000;
        // Defaults that keep a run to about 5 minutes on a loaded 2-core machine; the README's
        // run used --images 1000 --cli-runs 10 (about 14 minutes under a load of 7-13).
        int images = 300;
        int cliRuns = 5;
        Path root = Path.of(System.getProperty("libstorage.root", ".")).toAbsolutePath().normalize();
        Path dir = Path.of("/var/tmp");
        Path out = root.resolve("docs/bench");
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(require(args[i], value));
                case "--warmup" -> warmup = Integer.parseInt(require(args[i], value));
                case "--volumes" -> volumes = Integer.parseInt(require(args[i], value));
                case "--creates" -> creates = Integer.parseInt(require(args[i], value));
                case "--images" -> images = Integer.parseInt(require(args[i], value));
                case "--cli-runs" -> cliRuns = Integer.parseInt(require(args[i], value));
                case "--dir" -> dir = Path.of(require(args[i], value));
                case "--out" -> out = Path.of(require(args[i], value));
                case "--only" -> {
                    only = new LinkedHashSet<>(Arrays.asList(require(args[i], value).split(",")));
                    if (!PHASES.containsAll(only)) {
                        usage("unknown phase in '" + value + "'; choose from " + String.join(",", PHASES));
                    }
                }
                case "-h", "--help" -> {
                    System.out.println("usage: bin/bench compare [--reps N] [--warmup N] [--only " + String.join(",", PHASES)
                            + "] [--volumes N] [--creates N] [--images N] [--cli-runs N] [--dir DIR] [--out DIR]");
                    return;
                }
                default -> usage("unknown option '" + args[i] + "'");
            }
            i++;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            usage("needs root: it starts its own libvirtd as nobody, mounts loop devices and makes filesystems");
        }
        new Compare(new Options(reps, warmup, only, volumes, creates, images, cliRuns, dir, out, root)).run();
    }

    private static String require(String option, String value) {
        if (value == null) {
            usage(option + " needs a value");
        }
        return value;
    }

    private static void usage(String problem) {
        System.err.println("bench compare: " + problem);
        System.exit(2);
    }

    private void run() throws Exception {
        Thread hook = new Thread(this::cleanUp, "compare-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        Instant started = Instant.now();
        try {
            checkTools();
            Files.createDirectories(options.dir());
            scratch = Files.createTempDirectory(options.dir(), "libstorage-compare-");
            Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
            cleanup.push(() -> deleteTree(scratch));
            storage = Storage.open(StorageConfig.ofDirectory(scratch.resolve("config")));
            cleanup.push(storage::close);
            PrivateLibvirtd daemon = PrivateLibvirtd.start(scratch.resolve("libvirtd"));
            cleanup.push(daemon::close);
            libvirt = new Connect(daemon.uri());
            cleanup.push(() -> {
                try {
                    libvirt.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long v = libvirt.getLibVersion();
            libvirtVersion = (v / 1_000_000) + "." + (v / 1000 % 1000) + "." + (v % 1000);
            log("libvirtd %s (a private session daemon, %s)", libvirtVersion, daemon.uri());

            if (options.only().contains("create")) {
                phases.add(createPhase());
            }
            if (options.only().contains("list") || options.only().contains("lookup")) {
                phases.addAll(listPhases());
            }
            if (options.only().contains("clone")) {
                phases.add(clonePhase("ext4", List.of("mkfs.ext4", "-q", "-F")));
                phases.add(clonePhase("xfs", List.of("mkfs.xfs", "-q", "-f", "-m", "reflink=1")));
            }
            if (options.only().contains("cli")) {
                phases.addAll(cliPhases(daemon));
            }
            if (options.only().contains("blkid")) {
                phases.add(blkidPhase());
            }
            if (options.only().contains("lvm")) {
                if (onPath("lvs")) {
                    phases.add(lvmPhase());
                } else {
                    log("lvm: no lvs on this host (lvm2): not measured");
                }
            }
            measure();
        } finally {
            cleanUp();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        Report report = new Report(options, started, libvirtVersion, loads, phases);
        report.print(System.out);
        Files.createDirectories(options.out());
        report.writeJson(options.out().resolve("compare.json"));
        report.writeSvg(options.out().resolve("compare.svg"));
        log("wrote %s and %s", options.out().resolve("compare.json"), options.out().resolve("compare.svg"));
    }

    /** Installs nothing: says what is missing and stops. */
    private void checkTools() {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("libvirtd", "virsh", "setpriv", "blkid", "mkfs.ext4", "mkfs.xfs", "sfdisk", "mount")) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing on PATH: " + String.join(", ", missing)
                    + " (Debian: libvirt-daemon libvirt-clients util-linux e2fsprogs xfsprogs fdisk)");
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Warm-up repetitions (not recorded), then the measured ones; within each, every phase, contenders rotated. */
    private void measure() throws Exception {
        for (int rep = -options.warmup(); rep < options.reps(); rep++) {
            double[] load = loadAverage();
            if (rep >= 0) {
                loads.add(load);
            }
            log("%s %d of %d (load average %.2f %.2f %.2f)", rep < 0 ? "warm-up" : "repetition",
                    rep < 0 ? rep + options.warmup() + 1 : rep + 1, rep < 0 ? options.warmup() : options.reps(),
                    load[0], load[1], load[2]);
            for (Phase phase : phases) {
                int runs = rep < 0 ? 1 : phase.runsPerRep();
                for (int run = 0; run < runs; run++) {
                    List<Contender> order = new ArrayList<>(phase.contenders());
                    java.util.Collections.rotate(order, rep + run + 1);
                    for (Contender c : order) {
                        if (c.failure() != null) {
                            continue;
                        }
                        try {
                            long nanos = c.trial().run();
                            c.last = nanos;
                            if (rep >= 0) {
                                c.samples().add(nanos);
                            }
                        } catch (Exception | AssertionError e) {
                            c.fail(e);
                            log("%s: %s: %s", phase.title(), c.name(), c.failure());
                        }
                    }
                }
                log("  %-34s %s", phase.title(), phase.summary());
            }
        }
    }

    private static double[] loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException e) {
            return new double[] {-1, -1, -1};
        }
    }

    // ---- phases --------------------------------------------------------------------------

    private Pool libstoragePool(String name, Path target) {
        Pool pool = storage.definePool(PoolDefinition.builder(PoolType.DIR, name).targetPath(target).build());
        pool.build(BuildMode.NO_OVERWRITE);
        pool.start();
        cleanup.push(() -> {
            pool.stop();
            pool.undefine();
        });
        return pool;
    }

    /** A transient dir pool in the private daemon, its directory owned by the daemon's user. */
    private StoragePool libvirtPool(String name, Path target) throws Exception {
        Files.createDirectories(target);
        PrivateLibvirtd.chownNobody(target);
        StoragePool pool = libvirt.storagePoolCreateXML("""
                <pool type='dir'>
                  <name>%s</name>
                  <target><path>%s</path></target>
                </pool>
                """.formatted(name, target), 0);
        cleanup.push(() -> {
            try {
                pool.destroy();
                pool.free();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return pool;
    }

    static String volumeXml(String name, long capacity, long allocation) {
        return """
                <volume>
                  <name>%s</name>
                  <capacity unit='bytes'>%d</capacity>
                  <allocation unit='bytes'>%d</allocation>
                  <target><format type='raw'/></target>
                </volume>
                """.formatted(name, capacity, allocation);
    }

    static String volumeName(int i) {
        return "vol-%06d.img".formatted(i);
    }

    private static void deleteAll(StoragePool pool) throws Exception {
        pool.refresh(0);
        for (String name : pool.listVolumes()) {
            StorageVol vol = pool.storageVolLookupByName(name);
            vol.delete(0);
            vol.free();
        }
    }

    /** Creating N sparse 1 GiB raw volumes, one after another, into an empty pool. */
    private Phase createPhase() throws Exception {
        int n = options.creates();
        Pool mine = libstoragePool("ls-create", scratch.resolve("ls-create"));
        StoragePool theirs = libvirtPool("lv-create", scratch.resolve("lv-create"));
        Path floor = Files.createDirectories(scratch.resolve("floor-create"));
        VolumeDefinition[] definitions = new VolumeDefinition[n];
        String[] xml = new String[n];
        for (int i = 0; i < n; i++) {
            definitions[i] = VolumeDefinition.builder(volumeName(i), GIB).allocation(0).format(VolumeFormat.RAW).build();
            xml[i] = volumeXml(volumeName(i), GIB, 0);
        }
        return new Phase("create", "create " + n + " volumes", n, 1, List.of(
                new Contender("libstorage", Role.LIBSTORAGE, () -> {
                    mine.refresh();
                    mine.volumes().forEach(Volume::delete);
                    long t0 = System.nanoTime();
                    for (VolumeDefinition d : definitions) {
                        mine.createVolume(d);
                    }
                    return System.nanoTime() - t0;
                }),
                new Contender("libvirt", Role.PEER, () -> {
                    deleteAll(theirs);
                    long t0 = System.nanoTime();
                    for (String x : xml) {
                        theirs.storageVolCreateXML(x, 0).free();
                    }
                    return System.nanoTime() - t0;
                }),
                new Contender("syscalls", Role.FLOOR, () -> {
                    emptyDirectory(floor);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        Floor.createSparse(floor.resolve(volumeName(i)), GIB);
                    }
                    return System.nanoTime() - t0;
                })));
    }

    /** A pool of N volumes: refresh + list + each volume's info; lookups by name and by path. */
    private List<Phase> listPhases() throws Exception {
        int n = options.volumes();
        Path mineDir = scratch.resolve("ls-list");
        Path theirDir = scratch.resolve("lv-list");
        Pool mine = libstoragePool("ls-list", mineDir);
        StoragePool theirs = libvirtPool("lv-list", theirDir);
        log("making %d sparse files in each of %s and %s", n, mineDir, theirDir);
        for (int i = 0; i < n; i++) {
            for (Path d : List.of(mineDir, theirDir)) {
                try (RandomAccessFile file = new RandomAccessFile(d.resolve(volumeName(i)).toFile(), "rw")) {
                    file.setLength(GIB);
                }
            }
        }
        mine.refresh();
        theirs.refresh(0);
        List<Phase> out = new ArrayList<>();
        if (options.only().contains("list")) {
            out.add(new Phase("list", "refresh + list + info of " + n, n, 1, List.of(
                    new Contender("libstorage", Role.LIBSTORAGE, () -> {
                        long t0 = System.nanoTime();
                        mine.refresh();
                        long total = 0;
                        for (Volume v : mine.volumes()) {
                            total += v.info().capacity();
                        }
                        long t = System.nanoTime() - t0;
                        expect(total == n * GIB, "libstorage listed " + total / GIB + " GiB, expected " + n);
                        return t;
                    }),
                    new Contender("libvirt", Role.PEER, () -> {
                        long t0 = System.nanoTime();
                        theirs.refresh(0);
                        long total = 0;
                        for (String name : theirs.listVolumes()) {
                            StorageVol vol = theirs.storageVolLookupByName(name);
                            total += vol.getInfo().capacity;
                            vol.free();
                        }
                        long t = System.nanoTime() - t0;
                        expect(total == n * GIB, "libvirt listed " + total / GIB + " GiB, expected " + n);
                        return t;
                    }),
                    new Contender("syscalls", Role.FLOOR, () -> {
                        long t0 = System.nanoTime();
                        long total = Floor.scanAndStat(mineDir);
                        long t = System.nanoTime() - t0;
                        expect(total == n * GIB, "the scan found " + total / GIB + " GiB, expected " + n);
                        return t;
                    }))));
        }
        if (options.only().contains("lookup")) {
            int lookups = Math.min(1_000, n);
            String[] names = new String[lookups];
            for (int i = 0; i < lookups; i++) {
                names[i] = volumeName((int) ((i * 7919L) % n)); // scattered, not in directory order
            }
            out.add(new Phase("lookup-name", lookups + " lookups by name (in " + n + ")", lookups, 1, List.of(
                    new Contender("libstorage", Role.LIBSTORAGE, () -> timeEach(names, name -> mine.volume(name).orElseThrow())),
                    new Contender("libvirt", Role.PEER, () -> timeEach(names, name -> theirs.storageVolLookupByName(name).free())),
                    new Contender("syscalls", Role.FLOOR, () -> timeEach(names, name -> Floor.stat(mineDir.resolve(name)))))));
            out.add(new Phase("lookup-path", lookups + " lookups by path (in " + n + ")", lookups, 1, List.of(
                    new Contender("libstorage", Role.LIBSTORAGE,
                            () -> timeEach(names, name -> storage.volumeByPath(mineDir.resolve(name)).orElseThrow())),
                    new Contender("libvirt", Role.PEER,
                            () -> timeEach(names, name -> libvirt.storageVolLookupByPath(theirDir.resolve(name).toString()).free())),
                    new Contender("syscalls", Role.FLOOR, () -> timeEach(names, name -> Floor.stat(mineDir.resolve(name)))))));
        }
        return out;
    }

    @FunctionalInterface
    private interface Each {
        void run(String name) throws Exception;
    }

    private static long timeEach(String[] names, Each each) throws Exception {
        long t0 = System.nanoTime();
        for (String name : names) {
            each.run(name);
        }
        return System.nanoTime() - t0;
    }

    /**
     * Cloning a 4 GiB sparse raw volume holding 256 MiB (64 extents of 4 MiB) on a loop-mounted
     * filesystem: libstorage's {@code cloneAs}, libvirt's {@code virStorageVolCreateXMLFrom}
     * (what {@code virsh vol-clone} calls: the source's XML with a new name), and FICLONE or
     * copy_file_range over the data extents.
     */
    private Phase clonePhase(String fs, List<String> mkfs) throws Exception {
        log("%s: making the filesystem", fs);
        Path image = scratch.resolve(fs + ".img");
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(1), 8 * GIB - 1);
        }
        List<String> argv = new ArrayList<>(mkfs);
        argv.add(image.toString());
        command(argv);
        LoopDevice loop = LoopDevices.attach(image, false);
        cleanup.push(loop::close);
        Path mount = Files.createDirectory(scratch.resolve(fs + ".mnt"));
        command(List.of("mount", "-t", fs, loop.path().toString(), mount.toString()));
        cleanup.push(() -> command(List.of("umount", mount.toString())));
        Files.setPosixFilePermissions(mount, PosixFilePermissions.fromString("rwxr-xr-x"));

        Pool mine = libstoragePool("ls-clone-" + fs, mount.resolve("ls"));
        Volume source = mine.createVolume(VolumeDefinition.builder("base.img", 4 * GIB).allocation(0)
                .format(VolumeFormat.RAW).build());
        writeExtents(source.path());
        mine.refresh();
        Path theirDir = mount.resolve("lv");
        Files.createDirectories(theirDir);
        Floor.copySparse(source.path(), theirDir.resolve("base.img"));
        StoragePool theirs = libvirtPool("lv-clone-" + fs, theirDir);
        StorageVol theirSource = theirs.storageVolLookupByName("base.img");
        String cloneXml = theirSource.getXMLDesc(0).replace("<name>base.img</name>", "<name>copy.img</name>")
                .replaceAll("<key>[^<]*</key>", "").replaceAll("<path>[^<]*</path>", "");
        Path floorDir = Files.createDirectories(mount.resolve("floor"));
        Path floorCopy = floorDir.resolve("copy.img");
        return new Phase("clone-" + fs, "clone 4 GiB (256 MiB data), " + fs, 1, 1, List.of(
                new Contender("libstorage", Role.LIBSTORAGE, () -> {
                    mine.volume("copy.img").ifPresent(Volume::delete);
                    syncfs(mount);
                    long t0 = System.nanoTime();
                    source.cloneAs("copy.img", ProgressListener.NONE);
                    return System.nanoTime() - t0;
                }),
                new Contender("libvirt", Role.PEER, () -> {
                    theirs.refresh(0);
                    if (Arrays.asList(theirs.listVolumes()).contains("copy.img")) {
                        StorageVol old = theirs.storageVolLookupByName("copy.img");
                        old.delete(0);
                        old.free();
                    }
                    syncfs(mount);
                    long t0 = System.nanoTime();
                    theirs.storageVolCreateXMLFrom(cloneXml, theirSource, 0).free();
                    return System.nanoTime() - t0;
                }),
                new Contender("syscalls", Role.FLOOR, () -> {
                    Files.deleteIfExists(floorCopy);
                    syncfs(mount);
                    long t0 = System.nanoTime();
                    Floor.copySparse(source.path(), floorCopy);
                    return System.nanoTime() - t0;
                })));
    }

    private static void writeExtents(Path file) throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        byte[] bytes = new byte[(int) (4 * MIB)];
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (long offset = 0; offset < 4 * GIB; offset += 64 * MIB) {
                random.nextBytes(bytes);
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer, offset + buffer.position());
                }
            }
            channel.force(true);
        }
    }

    private static void syncfs(Path directory) {
        command(List.of("sync", "-f", directory.toString()));
    }

    /** storagectl against virsh: one command each, and a 1,000-line batch in one process. */
    private List<Phase> cliPhases(PrivateLibvirtd daemon) throws Exception {
        Path storagectl = options.root().resolve("bin/storagectl");
        if (!Files.isExecutable(storagectl)) {
            throw new IllegalStateException("no " + storagectl + " (run bin/bench from a checkout)");
        }
        Path config = scratch.resolve("config");
        // The first call builds storagectl when its build is stale: never timed.
        log("storagectl: %s", command(List.of(storagectl.toString(), "--version")).strip());
        Pool mine = libstoragePool("ls-cli", scratch.resolve("ls-cli"));
        StoragePool theirs = libvirtPool("lv-cli", scratch.resolve("lv-cli"));
        List<String> ctl = List.of(storagectl.toString(), "--config-dir", config.toString());
        List<String> virsh = List.of("virsh", "-q", "-c", daemon.uri());
        int[] counter = {0};
        List<Phase> out = new ArrayList<>();
        out.add(new Phase("cli-pool-list", "CLI: pool-list", 1, options.cliRuns(), List.of(
                new Contender("storagectl", Role.LIBSTORAGE, () -> timeProcess(concat(ctl, "pool-list"), null)),
                new Contender("virsh", Role.PEER, () -> timeProcess(concat(virsh, "pool-list"), null)))));
        out.add(new Phase("cli-vol-create-as", "CLI: vol-create-as", 1, options.cliRuns(), List.of(
                new Contender("storagectl", Role.LIBSTORAGE, () -> timeProcess(concat(ctl, "vol-create-as", "ls-cli",
                        "one-" + counter[0]++ + ".img", "1M", "--allocation", "0"), null)),
                new Contender("virsh", Role.PEER, () -> timeProcess(concat(virsh, "vol-create-as", "lv-cli",
                        "one-" + counter[0]++ + ".img", "1M", "--allocation", "0"), null)))));
        int lines = 1_000;
        out.add(new Phase("cli-batch", "CLI: " + lines + "-line batch", lines, 1, List.of(
                new Contender("storagectl", Role.LIBSTORAGE, () -> {
                    mine.refresh();
                    mine.volumes().forEach(Volume::delete);
                    Path file = batchFile("ls-cli", lines);
                    return timeProcess(concat(ctl, "batch", "-f", file.toString()), null);
                }),
                new Contender("virsh", Role.PEER, () -> {
                    deleteAll(theirs);
                    Path file = batchFile("lv-cli", lines);
                    return timeProcess(virsh, file);
                }))));
        return out;
    }

    private Path batchFile(String pool, int lines) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            text.append("vol-create-as ").append(pool).append(' ').append(volumeName(i)).append(" 1M --allocation 0\n");
        }
        return Files.writeString(scratch.resolve("batch-" + pool + ".txt"), text);
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(Arrays.asList(tail));
        return out;
    }

    /** Wall time of one process, start to exit; its output is discarded, a failure throws. */
    private static long timeProcess(List<String> argv, Path stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.PIPE);
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        }
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (stdin == null) {
            p.getOutputStream().close();
        }
        byte[] err = p.getErrorStream().readAllBytes();
        int status = p.waitFor();
        long t = System.nanoTime() - t0;
        if (status != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + status + ": "
                    + new String(err, StandardCharsets.UTF_8).strip());
        }
        return t;
    }

    /** N 4 MiB images (a third ext4, a third gpt, a third empty): libblkid in-process against one blkid -p each. */
    private Phase blkidPhase() throws Exception {
        int n = options.images();
        Path dir = Files.createDirectories(scratch.resolve("blkid"));
        Path ext4 = template(dir, "ext4.tmpl", List.of("mkfs.ext4", "-q", "-F"));
        Path gpt = template(dir, "gpt.tmpl", List.of("sfdisk", "-q"));
        Path empty = template(dir, "empty.tmpl", List.of());
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path image = dir.resolve("image-" + i + ".img");
            Floor.copySparse(switch (i % 3) { case 0 -> ext4; case 1 -> gpt; default -> empty; }, image);
            images.add(image);
        }
        return new Phase("blkid", "probe " + n + " images", n, 1, List.of(
                new Contender("libblkid in-process", Role.LIBSTORAGE, () -> {
                    Blkid blkid = Blkid.instance();
                    long t0 = System.nanoTime();
                    int found = 0;
                    for (Path image : images) {
                        found += blkid.probe(image).values().isEmpty() ? 0 : 1;
                    }
                    long t = System.nanoTime() - t0;
                    expect(found >= 2 * n / 3, "libblkid found " + found + " of " + n);
                    return t;
                }),
                new Contender("blkid -p", Role.PEER, () -> {
                    long t0 = System.nanoTime();
                    for (Path image : images) {
                        Process p = new ProcessBuilder("blkid", "-p", "-o", "export", image.toString())
                                .redirectErrorStream(true).start();
                        p.getInputStream().readAllBytes();
                        int status = p.waitFor();
                        if (status != 0 && status != 2) { // 2: nothing found, an answer too
                            throw new IllegalStateException("blkid -p " + image + " exited " + status);
                        }
                    }
                    return System.nanoTime() - t0;
                })));
    }

    /**
     * Listing a volume group of {@code LVS} LVs on a loop device: a logical pool's refresh +
     * list + info through the public API (LVM in-process through liblvm2cmd where it is
     * installed) against one {@code lvs} process reporting the same. LVM sees only the loop
     * device and activates nothing (the pool's {@code lvm.config}, given to lvs as --config).
     */
    private Phase lvmPhase() throws Exception {
        int lvs = 100;
        Path image = scratch.resolve("pv.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(2 * GIB);
        }
        LoopDevice loop = LoopDevices.attach(image, false);
        cleanup.push(loop::close);
        Path lock = Files.createDirectories(scratch.resolve("lvm-lock"));
        String config = "devices{global_filter=[\"a|^" + loop.path() + "$|\",\"r|.*|\"] use_devicesfile=0}"
                + " global{activation=0 locking_dir=\"" + lock + "\"}"
                + " backup{backup=0 archive=0}";
        Storage lvmStorage = Storage.open(StorageConfig.ofDirectory(scratch.resolve("lvm-config"))
                .withBackendOption("lvm.config", config));
        cleanup.push(lvmStorage::close);
        String vg = "cmp_" + Long.toHexString(new SplittableRandom().nextLong() & 0xffffffffL);
        Pool pool = lvmStorage.definePool(PoolDefinition.builder(PoolType.LOGICAL, vg)
                .source(org.libstorage.PoolSource.builder().name(vg).device(loop.path()).build()).build());
        pool.build(BuildMode.OVERWRITE);
        cleanup.push(() -> {
            pool.delete();
            pool.undefine();
        });
        pool.start();
        cleanup.push(pool::stop);
        log("lvm: creating %d LVs in %s on %s", lvs, vg, loop.path());
        for (int i = 0; i < lvs; i++) {
            pool.createVolume(VolumeDefinition.builder("lv" + i, 4 * MIB).build());
        }
        List<String> argv = List.of("lvs", "--config", config, "--reportformat", "json", "--units", "b",
                "-o", "lv_name,lv_path,lv_size", vg);
        return new Phase("lvm", "LVM: list " + lvs + " LVs", 1, 1, List.of(
                new Contender("libstorage", Role.LIBSTORAGE, () -> {
                    long t0 = System.nanoTime();
                    pool.refresh();
                    long total = 0;
                    for (Volume v : pool.volumes()) {
                        total += v.info().capacity();
                    }
                    long t = System.nanoTime() - t0;
                    expect(total == lvs * 4 * MIB, "libstorage listed " + total + " bytes of LVs");
                    return t;
                }),
                new Contender("lvs", Role.PEER, () -> {
                    long t0 = System.nanoTime();
                    String out = command(argv);
                    long t = System.nanoTime() - t0;
                    expect(out.contains("\"lv" + (lvs - 1) + "\""), "lvs did not list lv" + (lvs - 1));
                    return t;
                })));
    }

    private static Path template(Path dir, String name, List<String> command) throws IOException {
        Path image = dir.resolve(name);
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(4 * MIB);
        }
        if (!command.isEmpty()) {
            List<String> argv = new ArrayList<>(command);
            argv.add(image.toString());
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
            if (command.get(0).equals("sfdisk")) {
                pb.redirectInput(ProcessBuilder.Redirect.from(Files.writeString(dir.resolve("layout"),
                        "label: gpt\nstart=2048, size=4096\n").toFile()));
            }
            try {
                Process p = pb.start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() != 0) {
                    throw new IOException(String.join(" ", argv) + " failed");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        return image;
    }

    // ---- plumbing ------------------------------------------------------------------------

    private static void expect(boolean condition, String problem) {
        if (!condition) {
            throw new AssertionError(problem);
        }
    }

    private static void emptyDirectory(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.delete(f);
            }
        }
    }

    private synchronized void cleanUp() {
        while (!cleanup.isEmpty()) {
            try {
                cleanup.pop().run();
            } catch (RuntimeException e) {
                System.err.println("bench compare: clean-up step failed: " + e.getMessage());
            }
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String command(List<String> argv) {
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed: " + output.strip());
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", argv) + " could not be run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "compare: " + format + "%n", args);
    }

    // ---- model ---------------------------------------------------------------------------

    enum Role { LIBSTORAGE, PEER, FLOOR }

    @FunctionalInterface
    interface Trial {
        /** Does its own untimed preparation, then returns the nanoseconds of the measured part. */
        long run() throws Exception;
    }

    static final class Contender {
        private final String name;
        private final Role role;
        private final Trial trial;
        private final List<Long> samples = new ArrayList<>();
        private String failure;
        /** The latest sample, warm-up included, for the progress log. */
        long last = -1;

        Contender(String name, Role role, Trial trial) {
            this.name = name;
            this.role = role;
            this.trial = trial;
        }

        String name() {
            return name;
        }

        Role role() {
            return role;
        }

        Trial trial() {
            return trial;
        }

        List<Long> samples() {
            return samples;
        }

        String failure() {
            return failure;
        }

        void fail(Throwable e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
        }

        double medianMillis() {
            if (samples.isEmpty()) {
                return Double.NaN;
            }
            long[] sorted = samples.stream().mapToLong(Long::longValue).sorted().toArray();
            int n = sorted.length;
            return (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0) / 1e6;
        }

        double minMillis() {
            return samples.stream().mapToLong(Long::longValue).min().orElse(-1) / 1e6;
        }
    }

    /** One thing measured: its contenders (libstorage first), how many operations a sample holds, samples per repetition. */
    record Phase(String id, String title, int ops, int runsPerRep, List<Contender> contenders) {
        Contender of(Role role) {
            return contenders.stream().filter(c -> c.role() == role).findFirst().orElse(null);
        }

        String summary() {
            StringBuilder s = new StringBuilder();
            for (Contender c : contenders) {
                s.append(String.format(Locale.ROOT, "%s %.1f ms  ", c.name(), c.last / 1e6));
            }
            return s.toString();
        }
    }
}
