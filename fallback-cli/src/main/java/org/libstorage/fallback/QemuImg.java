package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.DoubleConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Disk images through {@code qemu-img}, which has no library: create, info, convert, resize,
 * check. Paths are passed absolute, so a file name never reads as an option or as a qemu
 * protocol prefix ({@code nbd:}, {@code json:}); formats are passed explicitly, so an image's
 * own header is never trusted to say what it is. A create or convert that fails removes the
 * file it was making. Failures are {@link CommandException}s; bad arguments are refused with
 * {@link IllegalArgumentException} before anything runs.
 */
public final class QemuImg {
    private static final System.Logger LOG = System.getLogger(QemuImg.class.getName());
    private static final String TOOL = "qemu-img";
    private static final Pattern FORMAT_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
    private static final Pattern PROGRESS = Pattern.compile("\\(\\s*(\\d+(?:\\.\\d+)?)/100%\\)");
    private static final Pattern VERSION = Pattern.compile("qemu-img version (\\S+)");
    /** qemu-img check's exit status when the format has no consistency check (raw). */
    private static final int CHECK_UNSUPPORTED = 63;

    private final CommandRunner runner;

    public QemuImg(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /** Whether qemu-img is installed. */
    public boolean available() {
        return runner.available(TOOL);
    }

    /** What {@code qemu-img info --output=json} reports about an image. */
    public record ImageInfo(String format, long virtualSize, OptionalLong actualSize, OptionalLong clusterSize,
                            Optional<String> backingFilename, Optional<String> fullBackingFilename,
                            Optional<String> backingFilenameFormat, boolean dirty, Optional<String> compat,
                            boolean encrypted, boolean corrupt) {
        public ImageInfo {
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(actualSize, "actualSize");
            Objects.requireNonNull(clusterSize, "clusterSize");
            Objects.requireNonNull(backingFilename, "backingFilename");
            Objects.requireNonNull(fullBackingFilename, "fullBackingFilename");
            Objects.requireNonNull(backingFilenameFormat, "backingFilenameFormat");
            Objects.requireNonNull(compat, "compat");
        }
    }

    /**
     * Format options for {@link #create}: preallocation ({@code off}, {@code metadata},
     * {@code falloc}, {@code full}), cluster size (qcow2: a power of two, 512 B to 2 MiB) and
     * qcow2 compat level ({@code 0.10} or {@code 1.1}).
     */
    public record CreateOptions(Optional<String> preallocation, OptionalLong clusterSize, Optional<String> compat) {
        private static final Set<String> PREALLOCATION = Set.of("off", "metadata", "falloc", "full");
        private static final Set<String> COMPAT = Set.of("0.10", "1.1");

        public CreateOptions {
            Objects.requireNonNull(preallocation, "preallocation");
            Objects.requireNonNull(clusterSize, "clusterSize");
            Objects.requireNonNull(compat, "compat");
            preallocation.filter(p -> !PREALLOCATION.contains(p)).ifPresent(p -> {
                throw new IllegalArgumentException("preallocation must be one of " + PREALLOCATION + ": " + p);
            });
            clusterSize.ifPresent(size -> {
                if (size < 512 || size > 2 * 1024 * 1024 || Long.bitCount(size) != 1) {
                    throw new IllegalArgumentException("cluster size must be a power of two from 512 B to 2 MiB: " + size);
                }
            });
            compat.filter(c -> !COMPAT.contains(c)).ifPresent(c -> {
                throw new IllegalArgumentException("compat must be one of " + COMPAT + ": " + c);
            });
        }

        /** qemu-img's own defaults. */
        public static CreateOptions defaults() {
            return new CreateOptions(Optional.empty(), OptionalLong.empty(), Optional.empty());
        }

        public CreateOptions withPreallocation(String mode) {
            return new CreateOptions(Optional.of(mode), clusterSize, compat);
        }

        public CreateOptions withClusterSize(long bytes) {
            return new CreateOptions(preallocation, OptionalLong.of(bytes), compat);
        }

        public CreateOptions withCompat(String level) {
            return new CreateOptions(preallocation, clusterSize, Optional.of(level));
        }

        private Optional<String> asOptionString() {
            List<String> parts = new ArrayList<>();
            preallocation.ifPresent(p -> parts.add("preallocation=" + p));
            clusterSize.ifPresent(size -> parts.add("cluster_size=" + size));
            compat.ifPresent(c -> parts.add("compat=" + c));
            return parts.isEmpty() ? Optional.empty() : Optional.of(String.join(",", parts));
        }
    }

    /**
     * Options for {@link #convert}: {@code sparseSize} is the run of zero bytes (a multiple of
     * 512, default 4 KiB) that becomes a hole, 0 to write every byte; {@code targetExists}
     * writes into an existing target (a block device, a pre-made image) instead of creating
     * it; {@code compress} compresses qcow2 clusters.
     */
    public record ConvertOptions(long sparseSize, boolean targetExists, boolean compress) {
        public ConvertOptions {
            if (sparseSize < 0 || sparseSize % 512 != 0) {
                throw new IllegalArgumentException("sparse size must be 0 or a multiple of 512: " + sparseSize);
            }
        }

        /** Holes for 4 KiB runs of zeros, a new target, no compression. */
        public static ConvertOptions defaults() {
            return new ConvertOptions(4096, false, false);
        }

        public ConvertOptions withSparseSize(long bytes) {
            return new ConvertOptions(bytes, targetExists, compress);
        }

        public ConvertOptions intoExistingTarget() {
            return new ConvertOptions(sparseSize, true, compress);
        }

        public ConvertOptions compressed() {
            return new ConvertOptions(sparseSize, targetExists, true);
        }
    }

    /** What {@code qemu-img check} found: counts of corruptions, leaked clusters and check errors. */
    public record CheckResult(long corruptions, long leaks, long checkErrors, OptionalLong imageEndOffset) {
        public CheckResult {
            Objects.requireNonNull(imageEndOffset, "imageEndOffset");
        }

        public boolean clean() {
            return corruptions == 0 && leaks == 0 && checkErrors == 0;
        }
    }

    /** Creates an image of {@code capacity} bytes with qemu-img's default options. */
    public void create(Path file, String format, long capacity) {
        create(file, format, capacity, Optional.empty(), Optional.empty(), CreateOptions.defaults());
    }

    /**
     * Creates an image. With a backing file, its format must be given (probing it would trust
     * a header a guest may have written), and a capacity of 0 means the backing file's size.
     * A relative backing file is recorded as given and resolved by qemu against the new
     * image's directory. Fails if {@code file} exists and is not an existing target qemu can
     * overwrite; removes {@code file} again if it made it and then failed.
     */
    public void create(Path file, String format, long capacity, Optional<Path> backingFile,
                       Optional<String> backingFormat, CreateOptions options) {
        Objects.requireNonNull(options, "options");
        requireFormat(format);
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity cannot be negative: " + capacity);
        }
        if (backingFile.isPresent() && backingFormat.isEmpty()) {
            throw new IllegalArgumentException("a backing file needs its format: probing it would trust its header");
        }
        if (backingFile.isEmpty() && backingFormat.isPresent()) {
            throw new IllegalArgumentException("a backing format was given without a backing file");
        }
        backingFormat.ifPresent(QemuImg::requireFormat);
        Path target = file.toAbsolutePath();

        Command command = Command.of(TOOL, "create", "-q", "-f", format);
        if (backingFile.isPresent()) {
            command = command.args("-b", backingPath(backingFile.get()), "-F", backingFormat.get());
        }
        Optional<String> formatOptions = options.asOptionString();
        if (formatOptions.isPresent()) {
            command = command.args("-o", formatOptions.get());
        }
        command = command.arg(target.toString());
        if (capacity > 0 || backingFile.isEmpty()) {
            command = command.arg(Long.toString(capacity));
        }
        runRemovingOnFailure(runner, command, target);
    }

    /** Reads an image's description, letting qemu-img detect its format. */
    public ImageInfo info(Path file) {
        return info(file, Optional.empty());
    }

    /**
     * Reads an image's description with {@code qemu-img info --output=json -U} (-U: also
     * while a running guest holds the image's lock). Given a format, qemu-img does not probe.
     */
    public ImageInfo info(Path file, Optional<String> format) {
        format.ifPresent(QemuImg::requireFormat);
        Command command = Command.of(TOOL, "info", "--output=json", "-U");
        if (format.isPresent()) {
            command = command.args("-f", format.get());
        }
        CommandResult result = runner.run(command.arg(file.toAbsolutePath().toString()));
        return parseInfo(result);
    }

    static ImageInfo parseInfo(CommandResult result) {
        JsonNode root = Json.tree(result);
        Optional<String> format = Json.text(root, "format");
        OptionalLong virtualSize = Json.longValue(root, "virtual-size");
        if (format.isEmpty() || virtualSize.isEmpty()) {
            throw Json.badOutput(result, "printed no format or virtual-size", null);
        }
        JsonNode specific = root.path("format-specific").path("data");
        return new ImageInfo(format.get(), virtualSize.getAsLong(),
                Json.longValue(root, "actual-size"),
                Json.longValue(root, "cluster-size"),
                Json.text(root, "backing-filename"),
                Json.text(root, "full-backing-filename"),
                Json.text(root, "backing-filename-format"),
                Json.booleanValue(root, "dirty-flag").orElse(false),
                Json.text(specific, "compat"),
                Json.booleanValue(root, "encrypted").orElse(false),
                Json.booleanValue(specific, "corrupt").orElse(false));
    }

    /** Converts {@code source} into {@code target} with the {@linkplain ConvertOptions#defaults() defaults}. */
    public void convert(Path source, String sourceFormat, Path target, String targetFormat, DoubleConsumer progress) {
        convert(source, sourceFormat, target, targetFormat, ConvertOptions.defaults(), progress);
    }

    /**
     * Copies {@code source} into {@code target}, changing format as asked; zero runs of
     * {@code sparseSize} become holes. {@code progress} receives the percentage done (0 to
     * 100) as qemu-img reports it, on a reader thread. On failure, timeout or interrupt a
     * target this call created is removed.
     */
    public void convert(Path source, String sourceFormat, Path target, String targetFormat, ConvertOptions options,
                        DoubleConsumer progress) {
        requireFormat(sourceFormat);
        requireFormat(targetFormat);
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(progress, "progress");
        Path from = source.toAbsolutePath();
        Path to = target.toAbsolutePath();
        if (from.normalize().equals(to.normalize())) {
            throw new IllegalArgumentException("source and target are the same file: " + from);
        }
        Command command = Command.of(TOOL, "convert", "-p", "-f", sourceFormat, "-O", targetFormat,
                "-S", Long.toString(options.sparseSize()));
        if (options.targetExists()) {
            command = command.arg("-n");
        }
        if (options.compress()) {
            command = command.arg("-c");
        }
        command = command.args(from.toString(), to.toString());
        CommandRunner reporting = runner.withStdoutLineListener(line -> reportProgress(line, progress));
        if (options.targetExists()) {
            reporting.run(command);
        } else {
            runRemovingOnFailure(reporting, command, to);
        }
    }

    private static void reportProgress(String line, DoubleConsumer progress) {
        Matcher matcher = PROGRESS.matcher(line);
        if (matcher.find()) {
            progress.accept(Double.parseDouble(matcher.group(1)));
        }
    }

    /**
     * Changes an image's virtual size. Shrinking must be asked for, and loses the data past
     * the new end.
     */
    public void resize(Path file, String format, long newSize, boolean shrink) {
        requireFormat(format);
        if (newSize <= 0) {
            throw new IllegalArgumentException("new size must be positive: " + newSize);
        }
        Command command = Command.of(TOOL, "resize", "-q", "-f", format);
        if (shrink) {
            command = command.arg("--shrink");
        }
        runner.run(command.args(file.toAbsolutePath().toString(), Long.toString(newSize)));
    }

    /**
     * Checks an image's consistency without repairing it. Empty when the format has no check
     * (raw). Corruptions and leaks are results, not failures; a failure to check is.
     */
    public Optional<CheckResult> check(Path file, String format) {
        requireFormat(format);
        CommandResult result = runner.execute(Command.of(TOOL, "check", "--output=json", "-U", "-f", format,
                file.toAbsolutePath().toString()));
        // 0: clean, 2: corruptions, 3: leaked clusters; anything else means it could not check.
        return switch (result.exitStatus()) {
            case 0, 2, 3 -> {
                JsonNode root = Json.tree(result);
                yield Optional.of(new CheckResult(Json.longValue(root, "corruptions").orElse(0),
                        Json.longValue(root, "leaks").orElse(0), Json.longValue(root, "check-errors").orElse(0),
                        Json.longValue(root, "image-end-offset")));
            }
            case CHECK_UNSUPPORTED -> Optional.empty();
            default -> throw result.exitStatusException();
        };
    }

    /** The installed qemu-img's version, such as {@code 7.2.22}. */
    public String version() {
        CommandResult result = runner.run(Command.of(TOOL, "--version"));
        Matcher matcher = VERSION.matcher(result.stdout());
        if (!matcher.find()) {
            throw Json.badOutput(result, "printed no version", null);
        }
        return matcher.group(1);
    }

    private static void runRemovingOnFailure(CommandRunner runner, Command command, Path target) {
        boolean existed = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        try {
            runner.run(command);
        } catch (CommandException e) {
            if (!existed) {
                try {
                    Files.deleteIfExists(target);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                    LOG.log(Level.WARNING, "could not remove " + target + " after a failed " + command.display(), cleanup);
                }
            }
            throw e;
        }
    }

    /** A relative backing path that contains ':' would read as a protocol; "./" keeps it a file. */
    private static String backingPath(Path backing) {
        String text = backing.toString();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("backing file path is empty");
        }
        return backing.isAbsolute() || !text.contains(":") ? text : "./" + text;
    }

    private static void requireFormat(String format) {
        Objects.requireNonNull(format, "format");
        if (!FORMAT_NAME.matcher(format).matches()) {
            throw new IllegalArgumentException("not a qemu image format name: " + format);
        }
    }
}
