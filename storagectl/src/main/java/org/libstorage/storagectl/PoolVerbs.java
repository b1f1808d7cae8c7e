package org.libstorage.storagectl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import org.libstorage.BuildMode;
import org.libstorage.ErrorCode;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolStatus;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.xml.PoolXml;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The pool verbs, named and behaving as virsh's. */
final class PoolVerbs {
    private PoolVerbs() {
    }

    @Command(name = "pool-list", description = "Lists the active pools (with --all, every defined pool).")
    static final class PoolList extends Verb {
        @Option(names = "--all", description = "Include inactive pools.")
        boolean all;

        @Option(names = "--inactive", description = "List only inactive pools.")
        boolean inactive;

        @Option(names = "--type", paramLabel = "TYPE", converter = PoolTypeConverter.class,
                description = "List only pools of this type (dir, fs, logical, ...).")
        PoolType type;

        @Option(names = "--details", description = "Show type, persistence and space too.")
        boolean details;

        @Override
        void execute() {
            // One status per pool: a single look each, which never waits for a running job.
            record Listed(Pool pool, PoolStatus status) {
            }
            List<Listed> pools = root.storage().pools().stream()
                    .map(p -> new Listed(p, p.status()))
                    .filter(l -> type == null || l.status().definition().type() == type)
                    .filter(l -> inactive ? !l.status().active() : all || l.status().active())
                    .toList();
            if (root.json()) {
                new Json().printPools(out(), pools.stream().map(Listed::pool).toList(),
                        pools.stream().map(Listed::status).toList());
                return;
            }
            Table table = details
                    ? new Table("Name", "State", "Autostart", "Persistent", "Capacity", "Allocation", "Available")
                    : new Table("Name", "State", "Autostart");
            for (Listed listed : pools) {
                PoolStatus status = listed.status();
                String autostart = yesNo(status.autostart());
                if (details) {
                    PoolInfo info = status.info();
                    boolean active = status.active();
                    table.row(listed.pool().name(), state(info), autostart, "yes",
                            space(active, info, info.capacity()),
                            space(active, info, info.allocation()),
                            space(active, info, info.available()));
                } else {
                    table.row(listed.pool().name(), status.active() ? "active" : "inactive", autostart);
                }
            }
            table.print(out());
        }
    }

    @Command(name = "pool-define", description = "Defines a pool from a libvirt pool XML file.")
    static final class PoolDefine extends Verb {
        @Parameters(paramLabel = "FILE", description = "A <pool> XML file, as libvirt writes them.")
        Path file;

        @Override
        void execute() {
            Pool pool = root.storage().definePoolXml(readInput(file));
            out().println("Pool " + pool.name() + " defined from " + file);
        }
    }

    @Command(name = "pool-define-as", description = "Defines a pool from its type and source/target options.")
    static final class PoolDefineAs extends Verb {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "TYPE", converter = PoolTypeConverter.class,
                description = "dir, fs, netfs, logical, disk, iscsi, iscsi-direct, zfs, ...")
        PoolType type;

        @Option(names = "--target", paramLabel = "PATH", description = "Where the pool's volumes appear (dir, fs).")
        Path target;

        @Option(names = "--source-dev", paramLabel = "DEV", description = "A source device (for iSCSI, the target IQN); repeat for several.")
        List<Path> sourceDevices = new ArrayList<>();

        @Option(names = "--source-name", paramLabel = "NAME", description = "The source's name (volume group, zpool, ...).")
        String sourceName;

        @Option(names = "--source-host", paramLabel = "HOST[:PORT]", description = "A source host, such as an iSCSI portal.")
        List<String> sourceHosts = new ArrayList<>();

        @Option(names = "--source-path", paramLabel = "PATH",
                description = "The source directory (a netfs export, a gluster path).")
        String sourcePath;

        @Option(names = "--source-format", paramLabel = "FMT", description = "The source format (ext4, gpt, lvm2, ...).")
        String sourceFormat;

        @Option(names = "--source-initiator", paramLabel = "IQN", description = "The initiator IQN (iscsi-direct).")
        String initiator;

        @Option(names = "--auth-type", paramLabel = "TYPE", description = "chap or ceph.")
        String authType;

        @Option(names = "--auth-username", paramLabel = "USER")
        String authUsername;

        @Option(names = "--secret-usage", paramLabel = "USAGE", description = "Names the secret by its usage.")
        String secretUsage;

        @Option(names = "--secret-uuid", paramLabel = "UUID", description = "Names the secret by its UUID.")
        UUID secretUuid;

        @Option(names = "--print-xml", description = "Print the pool XML instead of defining the pool.")
        boolean printXml;

        @Override
        void execute() {
            PoolDefinition definition = definition();
            if (printXml) {
                out().print(PoolXml.write(definition, Optional.empty()));
                return;
            }
            Pool pool = root.storage().definePool(definition);
            out().println("Pool " + pool.name() + " defined");
        }

        PoolDefinition definition() {
            PoolSource.Builder source = PoolSource.builder();
            sourceHosts.forEach(h -> source.host(parseHost(h)));
            sourceDevices.forEach(source::device);
            if (sourcePath != null) {
                source.dir(Path.of(sourcePath));
            }
            if (sourceName != null) {
                source.name(sourceName);
            }
            if (sourceFormat != null) {
                source.format(sourceFormat);
            }
            if (initiator != null) {
                source.initiatorIqn(initiator);
            }
            if (authType != null || authUsername != null || secretUsage != null || secretUuid != null) {
                if (authType == null || authUsername == null || (secretUsage == null) == (secretUuid == null)) {
                    throw new StorageException(ErrorCode.INVALID_ARGUMENT, "pool '" + name + "'", "pool-define-as",
                            "Authentication needs --auth-type, --auth-username and one of --secret-usage or --secret-uuid.");
                }
                source.auth(new PoolSource.Auth(authType, authUsername, secretUsage != null
                        ? PoolSource.SecretRef.ofUsage(secretUsage) : PoolSource.SecretRef.ofUuid(secretUuid)));
            }
            PoolDefinition.Builder builder = PoolDefinition.builder(type, name).source(source.build());
            if (target != null) {
                builder.targetPath(target.toAbsolutePath().normalize());
            }
            return builder.build();
        }

        /** {@code host}, {@code host:port}, {@code [v6addr]} or {@code [v6addr]:port}. */
        static PoolSource.Host parseHost(String text) {
            String host = text;
            String port = null;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0) {
                    throw badHost(text);
                }
                host = text.substring(1, close);
                if (close + 1 < text.length()) {
                    if (text.charAt(close + 1) != ':') {
                        throw badHost(text);
                    }
                    port = text.substring(close + 2);
                }
            } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
                host = text.substring(0, text.indexOf(':'));
                port = text.substring(text.indexOf(':') + 1);
            }
            if (host.isEmpty()) {
                throw badHost(text);
            }
            if (port == null) {
                return PoolSource.Host.of(host);
            }
            try {
                return new PoolSource.Host(host, OptionalInt.of(Integer.parseInt(port)));
            } catch (NumberFormatException e) {
                throw badHost(text);
            }
        }

        private static StorageException badHost(String text) {
            return new StorageException(ErrorCode.INVALID_ARGUMENT, null, "pool-define-as",
                    "The source host '" + text + "' is not HOST, HOST:PORT or [IPv6]:PORT.");
        }
    }

    /** Whether a build may destroy what the source holds: virsh's --overwrite and --no-overwrite. */
    static final class Overwrite {
        @Option(names = "--overwrite", description = "Destroy whatever the source holds.")
        boolean overwrite;

        @Option(names = "--no-overwrite", description = "Refuse a source that holds data (the default).")
        boolean noOverwrite;

        static BuildMode mode(Overwrite group) {
            return group != null && group.overwrite ? BuildMode.OVERWRITE : BuildMode.NO_OVERWRITE;
        }
    }

    @Command(name = "pool-build", description = "Builds a pool's source: makes the directory, filesystem, label or volume group.")
    static final class PoolBuild extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @ArgGroup(exclusive = true)
        Overwrite overwrite;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            p.build(Overwrite.mode(overwrite));
            out().println("Pool " + p.name() + " built");
        }
    }

    @Command(name = "pool-start", description = "Starts (activates) a defined pool.")
    static final class PoolStart extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Option(names = "--build", description = "Build the pool first.")
        boolean build;

        @ArgGroup(exclusive = true)
        Overwrite overwrite;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            if (build) {
                p.build(Overwrite.mode(overwrite));
            }
            p.start();
            out().println("Pool " + p.name() + " started");
        }
    }

    @Command(name = "pool-stop", aliases = "pool-destroy",
            description = "Stops (deactivates) a pool; its volumes stay where they are. virsh calls this pool-destroy.")
    static final class PoolStop extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            p.stop();
            out().println("Pool " + p.name() + " stopped");
        }
    }

    @Command(name = "pool-delete", description = "Destroys what pool-build made (the pool must be stopped).")
    static final class PoolDelete extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            p.delete();
            out().println("Pool " + p.name() + " deleted");
        }
    }

    @Command(name = "pool-undefine", description = "Removes a stopped pool's definition.")
    static final class PoolUndefine extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            p.undefine();
            out().println("Pool " + p.name() + " has been undefined");
        }
    }

    @Command(name = "pool-info", description = "Shows a pool's state and space.")
    static final class PoolInfoVerb extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Option(names = "--bytes", description = "Print sizes in bytes.")
        boolean bytes;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            if (root.json()) {
                Json json = new Json();
                json.printObject(out(), p, json::pool);
                return;
            }
            PoolInfo info = p.info();
            field("Name", p.name());
            field("UUID", p.uuid().toString());
            field("Type", p.type().xmlName());
            field("State", state(info));
            field("Persistent", "yes");
            field("Autostart", yesNo(p.isAutostart()));
            p.definition().targetPath().ifPresent(t -> field("Target", t.toString()));
            if (p.isActive()) {
                field("Capacity", info.spaceKnown() ? size(info.capacity()) : UNKNOWN);
                field("Allocation", info.spaceKnown() ? size(info.allocation()) : UNKNOWN);
                field("Available", info.spaceKnown() ? size(info.available()) : UNKNOWN);
                info.notes().forEach(note -> field("Note", note));
            }
        }

        private String size(long value) {
            return bytes ? Long.toString(value) : Sizes.human(value);
        }

        private void field(String name, String value) {
            out().printf("%-15s %s%n", name + ":", value);
        }
    }

    @Command(name = "pool-dumpxml", description = "Prints a pool's libvirt XML.")
    static final class PoolDumpXml extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Option(names = "--inactive", description = "Print the definition only, without current space.")
        boolean inactive;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            String xml = inactive ? PoolXml.write(p.definition(), Optional.empty()) : p.toXml();
            out().print(xml.endsWith("\n") ? xml : xml + "\n");
        }
    }

    @Command(name = "pool-refresh", description = "Rescans an active pool's volumes and space.")
    static final class PoolRefresh extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            p.refresh();
            out().println("Pool " + p.name() + " refreshed");
        }
    }

    @Command(name = "pool-autostart", description = "Marks a pool to start at boot (or, with --disable, not to).")
    static final class PoolAutostart extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Option(names = "--disable", description = "Stop starting the pool at boot.")
        boolean disable;

        @Override
        void execute() {
            Pool p = root.pool(pool);
            p.setAutostart(!disable);
            out().println("Pool " + p.name() + (disable ? " unmarked as autostarted" : " marked as autostarted"));
        }
    }

    @Command(name = "pool-name", description = "Prints the name of the pool with this UUID.")
    static final class PoolName extends Verb {
        @Parameters(paramLabel = "UUID")
        String uuid;

        @Override
        void execute() {
            out().println(root.pool(uuid).name());
        }
    }

    @Command(name = "pool-uuid", description = "Prints a pool's UUID.")
    static final class PoolUuid extends Verb {
        @Parameters(paramLabel = "POOL")
        String pool;

        @Override
        void execute() {
            out().println(root.pool(pool).uuid());
        }
    }

    /** What pool-info and pool-list print for the space of a pool that cannot tell (an rbd pool without ceph-mgr). */
    static final String UNKNOWN = "unknown";

    /** A pool's size for pool-list --details: "-" when it is not running, "unknown" when it cannot tell. */
    private static String space(boolean active, PoolInfo info, long bytes) {
        return !active ? "-" : info.spaceKnown() ? Sizes.human(bytes) : UNKNOWN;
    }

    static String yesNo(boolean value) {
        return value ? "yes" : "no";
    }
}
