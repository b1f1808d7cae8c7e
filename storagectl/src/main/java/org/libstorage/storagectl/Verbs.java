package org.libstorage.storagectl;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Every verb, by name, in the order help lists them. picocli builds a verb's model by
 * reflecting over its class (options, parameters, their annotations), which is most of a short
 * command's start-up when done for all of them; so a command line gets only the verb it names,
 * and all of them only where it needs them (help, completion, a missing or unknown verb, which
 * picocli answers with suggestions).
 */
final class Verbs {
    /** A verb's name and aliases, as its {@code @Command} says, and how to make it. */
    record Entry(String name, Supplier<Object> factory, List<String> aliases) {
        Entry(String name, Supplier<Object> factory, String... aliases) {
            this(name, factory, List.of(aliases));
        }

        boolean isNamed(String word) {
            return name.equals(word) || aliases.contains(word);
        }
    }

    static final List<Entry> ALL = List.of(
            new Entry("pool-list", PoolVerbs.PoolList::new),
            new Entry("pool-define", PoolVerbs.PoolDefine::new),
            new Entry("pool-define-as", PoolVerbs.PoolDefineAs::new),
            new Entry("pool-build", PoolVerbs.PoolBuild::new),
            new Entry("pool-start", PoolVerbs.PoolStart::new),
            new Entry("pool-stop", PoolVerbs.PoolStop::new, "pool-destroy"),
            new Entry("pool-delete", PoolVerbs.PoolDelete::new),
            new Entry("pool-undefine", PoolVerbs.PoolUndefine::new),
            new Entry("pool-info", PoolVerbs.PoolInfoVerb::new),
            new Entry("pool-dumpxml", PoolVerbs.PoolDumpXml::new),
            new Entry("pool-refresh", PoolVerbs.PoolRefresh::new),
            new Entry("pool-autostart", PoolVerbs.PoolAutostart::new),
            new Entry("pool-name", PoolVerbs.PoolName::new),
            new Entry("pool-uuid", PoolVerbs.PoolUuid::new),
            new Entry("find-pool-sources", HostVerbs.FindPoolSources::new),
            new Entry("vol-list", VolumeVerbs.VolList::new),
            new Entry("vol-create", VolumeVerbs.VolCreate::new),
            new Entry("vol-create-as", VolumeVerbs.VolCreateAs::new),
            new Entry("vol-create-from", VolumeVerbs.VolCreateFrom::new),
            new Entry("vol-clone", VolumeVerbs.VolClone::new),
            new Entry("vol-delete", VolumeVerbs.VolDelete::new),
            new Entry("vol-resize", VolumeVerbs.VolResize::new),
            new Entry("vol-wipe", VolumeVerbs.VolWipe::new),
            new Entry("vol-snapshot", VolumeVerbs.VolSnapshot::new),
            new Entry("vol-info", VolumeVerbs.VolInfoVerb::new),
            new Entry("vol-dumpxml", VolumeVerbs.VolDumpXml::new),
            new Entry("vol-path", VolumeVerbs.VolPath::new),
            new Entry("vol-key", VolumeVerbs.VolKey::new),
            new Entry("vol-name", VolumeVerbs.VolName::new),
            new Entry("vol-pool", VolumeVerbs.VolPool::new),
            new Entry("vol-upload", VolumeVerbs.VolUpload::new),
            new Entry("vol-download", VolumeVerbs.VolDownload::new),
            new Entry("host-devices", HostVerbs.HostDevices::new),
            new Entry("backends", HostVerbs.Backends::new),
            new Entry("batch", Batch::new),
            new Entry("shell", Shell::new),
            new Entry("tour", Tour::new),
            new Entry("completion", Completion::new),
            new Entry("help", CommandLine.HelpCommand::new));

    /** Verbs that need every other verb in the model: they list or complete them all. */
    private static final List<String> NEED_ALL = List.of("help", "completion");

    private Verbs() {
    }

    /**
     * The one verb {@code args} runs, when the model needs no other: the first argument that is
     * not a global option, if it names a verb. Empty (build them all) for help, completion, a
     * global option asking for help or the version, an unknown option or verb, or no verb.
     */
    static Optional<Entry> only(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--json", "--debug" -> {
                    continue;
                }
                case "--config-dir" -> {
                    i++;
                    continue;
                }
                default -> {
                    if (arg.startsWith("--config-dir=")) {
                        continue;
                    }
                }
            }
            if (NEED_ALL.contains(arg)) {
                return Optional.empty();
            }
            return ALL.stream().filter(e -> e.isNamed(arg)).findFirst();
        }
        return Optional.empty();
    }
}
