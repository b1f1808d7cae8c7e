package org.libstorage.storagectl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.ResizeOption;
import org.libstorage.StorageException;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeInfo;
import org.libstorage.WipeAlgorithm;
import org.libstorage.backends.blockio.CopyEngine;
import org.libstorage.backends.blockio.DataSink;
import org.libstorage.backends.blockio.DataSource;
import org.libstorage.backends.blockio.FdChannel;
import org.libstorage.backends.blockio.FileRangeChannel;
import org.libstorage.backends.blockio.IoContext;
import org.libstorage.backends.blockio.Streams;
import org.libstorage.xml.VolumeXml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The volume verbs, named and behaving as virsh's. */
final class VolumeVerbs {

    private VolumeVerbs() {
    }

    /**
     * A verb acting on one volume, named as virsh names them: by name with {@code --pool}, or
     * by key or path alone.
     */
    abstract static class OnVolume extends Verb {
        @Parameters(index = "0", paramLabel = "VOL", description = "The volume: a name (with --pool), a key or a path.")
        String vol;

        @Option(names = "--pool", paramLabel = "POOL", description = "The pool to find VOL in by name.")
        String pool;

        Volume volume() {
            return resolve(root, vol, Optional.ofNullable(pool));
        }
    }

    /** Finds a volume as virsh does: by name in the given pool, else by key, else by path. */
    static Volume resolve(Storagectl root, String vol, Optional<String> poolName) {
        Optional<Pool> pool = poolName.map(root::pool);
        Optional<Volume> found = pool.flatMap(p -> p.volume(vol))
                .or(() -> root.storage().volumeByKey(vol))
                .or(() -> vol.indexOf('/') >= 0 ? root.storage().volumeByPath(Path.of(vol)) : Optional.empty());
        return found.orElseThrow(() -> new StorageException(ErrorCode.NO_SUCH_VOLUME, "volume '" + vol + "'", null,
                pool.map(p -> "Pool '" + p.name() + "' has no volume named '" + vol
                                + "', and no volume has that key or path; 'storagectl vol-list " + p.name() + "' lists them.")
                        .orElse("No volume has the key or path '" + vol
                                + "'; to find it by name, name its pool with --pool POOL.")));
    }

    @Command(name = "vol-list", description = "Lists a pool's volumes.")
    static final class VolList extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Option(names = "--details", description = "Show type, capacity and allocation too.")
        boolean details;

        @Override
        void execute() {
            List<Volume> volumes = root.pool(pool).volumes();
            if (root.json()) {
                Json json = new Json();
                json.printArray(out(), volumes, json::volume);
                return;
            }
            Table table = details ? new Table("Name", "Path", "Type", "Capacity", "Allocation")
                    : new Table("Name", "Path");
            for (Volume v : volumes) {
                if (details) {
                    VolumeInfo info = v.info();
                    table.row(v.name(), v.path().toString(), info.type().xmlName(),
                            Sizes.human(info.capacity()), Sizes.human(info.allocation()));
                } else {
                    table.row(v.name(), v.path().toString());
                }
            }
            table.print(out());
        }
    }

    @Command(name = "vol-create", description = "Creates a volume from a libvirt volume XML file.")
    static final class VolCreate extends Verb {
        @Parameters(index = "0", paramLabel = "POOL")
        String pool;

        @Parameters(index = "1", paramLabel = "FILE", description = "A <volume> XML file.")
        Path file;

        @Override
        void execute() {
            VolumeDefinition definition = VolumeXml.parse(readInput(file));
            Volume created = root.pool(pool).createVolume(definition);
            out().println("Vol " + created.name() + " created from " + file);
        }
    }

    @Command(name = "vol-create-as", description = "Creates a volume of a given size: sparse unless --allocation says otherwise.")
    static final class VolCreateAs extends Verb {
        @Parameters(index = "0", paramLabel = "POOL")
        String pool;

        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        @Parameters(index = "2", paramLabel = "CAPACITY", converter = Sizes.Converter.class,
                description = "The size guests see: bytes, or with a unit (512MiB, 10G, 1TB).")
        long capacity;

        @Option(names = "--allocation", paramLabel = "SIZE", converter = Sizes.Converter.class,
                description = "Bytes to allocate now (default 0: sparse; equal to CAPACITY: fully preallocated).")
        Long allocation;

        @Option(names = "--format", paramLabel = "FORMAT", description = "raw (default) or qcow2.")
        String format;

        @Option(names = "--backing-vol", paramLabel = "VOL",
                description = "A volume (name in POOL, key or path) whose data the new qcow2 volume starts from.")
        String backingVol;

        @Option(names = "--backing-vol-format", paramLabel = "FORMAT", description = "The backing volume's format.")
        String backingFormat;

        @Option(names = "--print-xml", description = "Print the volume XML instead of creating the volume.")
        boolean printXml;

        @Override
        void execute() {
            VolumeDefinition.Builder builder = VolumeDefinition.builder(name, capacity);
            if (allocation != null) {
                builder.allocation(allocation);
            }
            if (format != null) {
                builder.format(new VolumeFormat(format));
            }
            if (backingVol != null) {
                Pool p = root.pool(pool);
                Volume backing = p.volume(backingVol).orElseGet(() -> resolve(root, backingVol, Optional.empty()));
                Optional<VolumeFormat> backingFmt = Optional.ofNullable(backingFormat).map(VolumeFormat::new)
                        .or(() -> backing.definition().format());
                builder.backingStore(new VolumeDefinition.BackingStore(backing.path(), backingFmt, Optional.empty()));
                if (format == null) {
                    builder.format(VolumeFormat.QCOW2); // only qcow2 records a backing file
                }
            } else if (backingFormat != null) {
                throw usageError("--backing-vol-format needs --backing-vol");
            }
            VolumeDefinition definition = builder.build();
            if (printXml) {
                out().print(VolumeXml.write(definition));
                return;
            }
            Volume created = root.pool(pool).createVolume(definition);
            out().println("Vol " + created.name() + " created");
        }
    }

    @Command(name = "vol-create-from",
            description = "Creates a volume from an XML file, filled with a copy of another volume (any pool, converting formats).")
    static final class VolCreateFrom extends Verb {
        @Parameters(index = "0", paramLabel = "POOL")
        String pool;

        @Parameters(index = "1", paramLabel = "FILE", description = "A <volume> XML file for the new volume.")
        Path file;

        @Parameters(index = "2", paramLabel = "VOL", description = "The volume to copy: a name (with --inputpool), a key or a path.")
        String vol;

        @Option(names = "--inputpool", paramLabel = "POOL", description = "The pool to find VOL in by name.")
        String inputPool;

        @Override
        void execute() {
            VolumeDefinition definition = VolumeXml.parse(readInput(file));
            Volume source = resolve(root, vol, Optional.ofNullable(inputPool));
            Volume created;
            try (ProgressBar bar = root.progress("copy")) {
                created = root.pool(pool).createVolumeFrom(definition, source, bar);
            }
            out().println("Vol " + created.name() + " created from input vol " + source.name());
        }
    }

    @Command(name = "vol-clone", description = "Copies a volume within its pool (reflink where the filesystem can).")
    static final class VolClone extends OnVolume {
        @Parameters(index = "1", paramLabel = "NEWNAME")
        String newName;

        @Override
        void execute() {
            Volume source = volume();
            Volume clone;
            try (ProgressBar bar = root.progress("clone")) {
                clone = source.cloneAs(newName, bar);
            }
            out().println("Vol " + clone.name() + " cloned from " + source.name());
        }
    }

    @Command(name = "vol-delete", description = "Deletes a volume.")
    static final class VolDelete extends OnVolume {
        @Override
        void execute() {
            Volume v = volume();
            v.delete();
            out().println("Vol " + v.name() + " deleted");
        }
    }

    @Command(name = "vol-resize",
            description = "Changes a volume's capacity: grows it; shrinks it only with --shrink.")
    static final class VolResize extends OnVolume {
        @Parameters(index = "1", paramLabel = "CAPACITY",
                description = "The new capacity (10G, 512MiB, bytes); with --delta, the change: +1G grows, -1G shrinks.")
        String capacity;

        @Option(names = "--shrink", description = "Allow a smaller capacity (data past it is lost).")
        boolean shrink;

        @Option(names = "--allocate", description = "Allocate the added space now instead of leaving it sparse.")
        boolean allocate;

        @Option(names = "--delta", description = "CAPACITY is a change to the current capacity.")
        boolean delta;

        @Override
        void execute() {
            boolean negative = capacity.startsWith("-");
            if (negative && !delta) {
                throw usageError("A negative capacity needs --delta (and --shrink): " + capacity);
            }
            long amount;
            try {
                amount = Sizes.parse(negative || capacity.startsWith("+") ? capacity.substring(1) : capacity);
            } catch (StorageException e) {
                throw usageError("Invalid CAPACITY: " + e.getMessage());
            }
            Volume v = volume();
            long target = amount;
            if (delta) {
                long current = v.info().capacity();
                if (!negative && amount > Long.MAX_VALUE - current) {
                    throw new StorageException(ErrorCode.INVALID_ARGUMENT, "volume '" + v.name() + "'", "vol-resize",
                            "Growing volume '" + v.name() + "' (" + current + " bytes) by " + amount + " bytes gives more than "
                                    + "the largest size, " + Long.MAX_VALUE + " bytes.");
                }
                target = negative ? current - amount : current + amount;
                if (target < 0) {
                    throw new StorageException(ErrorCode.INVALID_ARGUMENT, "volume '" + v.name() + "'", "vol-resize",
                            "Shrinking volume '" + v.name() + "' by " + Sizes.human(amount) + " would go below zero (it holds "
                                    + Sizes.human(current) + ").");
                }
            }
            if (!shrink && target < v.info().capacity()) {
                // The library's refusal names its own option; the user here typed storagectl's.
                throw new StorageException(ErrorCode.INVALID_ARGUMENT, "volume '" + v.name() + "'", "vol-resize",
                        "The new capacity " + target + " bytes of volume '" + v.name() + "' is below its current capacity "
                                + v.info().capacity() + " bytes; add --shrink to lose the data past " + target + " bytes.");
            }
            List<ResizeOption> options = new ArrayList<>();
            if (shrink) {
                options.add(ResizeOption.ALLOW_SHRINK);
            }
            if (allocate) {
                options.add(ResizeOption.ALLOCATE);
            }
            v.resize(target, options.toArray(ResizeOption[]::new));
            out().println("Size of volume '" + v.name() + "' successfully changed to " + Sizes.human(target)
                    + " (" + target + " bytes)");
        }
    }

    @Command(name = "vol-wipe", description = "Destroys a volume's data.")
    static final class VolWipe extends OnVolume {
        @Option(names = "--algorithm", paramLabel = "ALG", defaultValue = "zero",
                description = "zero (default), random or trim. One of: ${COMPLETION-CANDIDATES}.")
        WipeAlgorithm algorithm;

        @Override
        void execute() {
            Volume v = volume();
            try (ProgressBar bar = root.progress("wipe")) {
                v.wipe(algorithm, bar);
            }
            out().println("Vol " + v.name() + " wiped");
        }
    }

    @Command(name = "vol-snapshot",
            description = "Makes a point-in-time copy of a volume: a reflink where possible, else a qcow2 overlay.")
    static final class VolSnapshot extends OnVolume {
        @Parameters(index = "1", paramLabel = "NAME", description = "The snapshot's volume name.")
        String name;

        @Override
        void execute() {
            Volume v = volume();
            Volume snapshot = v.snapshot(name);
            out().println("Vol " + snapshot.name() + " created as a snapshot of " + v.name());
        }
    }

    @Command(name = "vol-info", description = "Shows a volume's type and sizes.")
    static final class VolInfoVerb extends OnVolume {
        @Option(names = "--bytes", description = "Print sizes in bytes.")
        boolean bytes;

        @Override
        void execute() {
            Volume v = volume();
            if (root.json()) {
                Json json = new Json();
                json.printObject(out(), v, json::volume);
                return;
            }
            VolumeInfo info = v.info();
            VolumeDefinition definition = v.definition();
            field("Name", v.name());
            field("Type", info.type().xmlName());
            definition.format().ifPresent(f -> field("Format", f.name()));
            field("Capacity", bytes ? Long.toString(info.capacity()) : Sizes.human(info.capacity()));
            field("Allocation", bytes ? Long.toString(info.allocation()) : Sizes.human(info.allocation()));
            field("Path", v.path().toString());
            definition.backingStore().ifPresent(b -> field("Backing", b.path().toString()));
        }

        private void field(String name, String value) {
            out().printf("%-15s %s%n", name + ":", value);
        }
    }

    @Command(name = "vol-dumpxml", description = "Prints a volume's libvirt XML.")
    static final class VolDumpXml extends OnVolume {
        @Override
        void execute() {
            String xml = volume().toXml();
            out().print(xml.endsWith("\n") ? xml : xml + "\n");
        }
    }

    @Command(name = "vol-path", description = "Prints a volume's path.")
    static final class VolPath extends OnVolume {
        @Override
        void execute() {
            out().println(volume().path());
        }
    }

    @Command(name = "vol-key", description = "Prints a volume's key (unique on the host, stable).")
    static final class VolKey extends OnVolume {
        @Override
        void execute() {
            out().println(volume().key());
        }
    }

    @Command(name = "vol-name", description = "Prints the name of the volume with this key or path.")
    static final class VolName extends OnVolume {
        @Override
        void execute() {
            out().println(volume().name());
        }
    }

    @Command(name = "vol-pool", description = "Prints the pool of the volume with this key or path.")
    static final class VolPool extends OnVolume {
        @Option(names = "--uuid", description = "Print the pool's UUID instead of its name.")
        boolean uuid;

        @Override
        void execute() {
            Pool p = volume().pool();
            out().println(uuid ? p.uuid().toString() : p.name());
        }
    }

    /** The byte range options of vol-upload and vol-download. */
    abstract static class Transfer extends OnVolume {
        @Parameters(index = "1", paramLabel = "FILE")
        Path file;

        @Option(names = "--offset", paramLabel = "BYTES", converter = Sizes.Converter.class, defaultValue = "0",
                description = "Where in the volume to start.")
        long offset;

        @Option(names = "--length", paramLabel = "BYTES", converter = Sizes.Converter.class,
                description = "How many bytes at most (default: to the end).")
        Long length;

        long lengthOrAll() {
            return length == null ? -1 : length;
        }
    }

    @Command(name = "vol-upload", description = "Writes a file's contents into a volume (runs of zeros stay holes). "
            + "FILE may be a pipe, /dev/stdin or a device: it is read until its end or --length.")
    static final class VolUpload extends Transfer {
        @Override
        void execute() throws java.io.IOException {
            Volume v = volume();
            IoContext context = new IoContext("volume '" + v.name() + "'", "vol-upload");
            long done;
            TransferFiles.Source input = TransferFiles.source(file);
            if (input.sized()) {
                // A file's or device's size is known: the library checks the volume's end and the
                // pool's free space (for the data the file really has) before a byte is written.
                // The engine reads the file's data extents only; its holes reach the volume as
                // zeroed ranges (punched in a file, BLKZEROOUT on a device), never as written zeros.
                try (FdChannel in = FdChannel.openForReading(file, lengthOrAll(), context);
                     ProgressBar bar = root.progress("upload")) {
                    try (DataSink target = Streams.sink(TransferFiles.openUpload(v, offset, in.size(), file), in.size(),
                            "volume '" + v.name() + "'", context)) {
                        done = CopyEngine.copy(in, target, bar, context).bytes();
                    }
                }
            } else {
                // A pipe, terminal or character device: streamed until its end or --length, at
                // most as far as the volume goes (more data than that is an error, not dropped).
                long room = Math.max(0, v.info().capacity() - offset);
                long bound = length == null ? room : length;
                try (java.nio.channels.ReadableByteChannel in = input.open();
                     ProgressBar bar = root.progress("upload")) {
                    try (DataSource source = Streams.source(TransferFiles.unclosed(in), bound, file.toString(), context);
                         DataSink target = Streams.sink(v.upload(offset, lengthOrAll()), bound,
                                 "volume '" + v.name() + "'", context)) {
                        done = CopyEngine.copy(source, target, bar, context).bytes();
                    }
                    if (length == null && done == room) {
                        TransferFiles.requireEnded(in, file, v, offset, room);
                    }
                }
            }
            out().println("Uploaded " + done + " bytes from " + file + " to vol " + v.name());
        }
    }

    @Command(name = "vol-download", description = "Copies a volume's contents into a file (or a device or pipe).")
    static final class VolDownload extends Transfer {
        @Option(names = "--sparse", description = "Leave runs of zeros as holes in FILE.")
        boolean sparse;

        @Override
        void execute() {
            Volume v = volume();
            IoContext context = new IoContext("volume '" + v.name() + "'", "vol-download");
            long total = length != null ? length : Math.max(0, v.info().capacity() - offset);
            long done;
            // Refused before anything is opened for writing (which would truncate): a directory,
            // and the volume itself under any name (same inode, or the same block device).
            boolean regular = TransferFiles.checkDestination(file, v);
            if (regular) {
                try (ProgressBar bar = root.progress("download");
                     DataSource source = Streams.source(v.download(offset, lengthOrAll()), total,
                             "volume '" + v.name() + "'", context);
                     FileRangeChannel output = FileRangeChannel.createForWriting(file, source.size(),
                             sparse ? FileRangeChannel.Zeroing.ALREADY_ZERO : FileRangeChannel.Zeroing.WRITE, context)) {
                    done = CopyEngine.copy(source, output, bar, context).bytes();
                    // A volume that ended early (another tool shrank it) gives a file of what it had.
                    output.setFileSize(done);
                }
            } else {
                // A device or pipe (/dev/null, /dev/full, a FIFO): written in order, every zero
                // written, never truncated; a full device is NO_SPACE naming it.
                try (ProgressBar bar = root.progress("download");
                     DataSource source = Streams.source(v.download(offset, lengthOrAll()), total,
                             "volume '" + v.name() + "'", context);
                     DataSink output = Streams.sink(TransferFiles.openStream(file), total, file.toString(), context)) {
                    done = CopyEngine.copy(source, output, bar, context).bytes();
                }
            }
            out().println("Downloaded " + done + " bytes from vol " + v.name() + " to " + file);
        }
    }
}
