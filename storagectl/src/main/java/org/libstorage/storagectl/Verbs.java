package org.libstorage.storagectl;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;

/**
 * Every verb, by name, in the order help lists them. picocli builds a verb's model by
 * reflecting over its class (options, parameters, their annotations), which is most of a short
 * command's start-up when done for all of them; so a command line gets only the verb it names,
 * and all of them only where it needs them (help, completion, a missing or unknown verb, which
 * picocli answers with suggestions). Verbs are made through a switch rather than a table of
 * constructor references, so that naming one loads no other verb's class.
 */
final class Verbs {
    /** Every verb's name, as its {@code @Command} says, in help order. */
    static final List<String> NAMES = List.of(
            "pool-list",
            "pool-define",
            "pool-define-as",
            "pool-build",
            "pool-start",
            "pool-stop",
            "pool-delete",
            "pool-undefine",
            "pool-info",
            "pool-dumpxml",
            "pool-refresh",
            "pool-autostart",
            "pool-name",
            "pool-uuid",
            "find-pool-sources",
            "vol-list",
            "vol-create",
            "vol-create-as",
            "vol-create-from",
            "vol-clone",
            "vol-delete",
            "vol-resize",
            "vol-wipe",
            "vol-snapshot",
            "vol-info",
            "vol-dumpxml",
            "vol-path",
            "vol-key",
            "vol-name",
            "vol-pool",
            "vol-upload",
            "vol-download",
            "host-devices",
            "backends",
            "event",
            "batch",
            "shell",
            "tour",
            "completion",
            "help");

    /** Other names of verbs (picocli learns them from {@code @Command(aliases)}). */
    static final Map<String, String> ALIASES = Map.of("pool-destroy", "pool-stop");

    /** Verbs that need every other verb in the model: they list or complete them all. */
    private static final List<String> NEED_ALL = List.of("help", "completion");

    private Verbs() {
    }

    /** A new instance of the verb {@code name} (one of {@link #NAMES}). */
    static Object make(String name) {
        return switch (name) {
            case "pool-list" -> new PoolVerbs.PoolList();
            case "pool-define" -> new PoolVerbs.PoolDefine();
            case "pool-define-as" -> new PoolVerbs.PoolDefineAs();
            case "pool-build" -> new PoolVerbs.PoolBuild();
            case "pool-start" -> new PoolVerbs.PoolStart();
            case "pool-stop" -> new PoolVerbs.PoolStop();
            case "pool-delete" -> new PoolVerbs.PoolDelete();
            case "pool-undefine" -> new PoolVerbs.PoolUndefine();
            case "pool-info" -> new PoolVerbs.PoolInfoVerb();
            case "pool-dumpxml" -> new PoolVerbs.PoolDumpXml();
            case "pool-refresh" -> new PoolVerbs.PoolRefresh();
            case "pool-autostart" -> new PoolVerbs.PoolAutostart();
            case "pool-name" -> new PoolVerbs.PoolName();
            case "pool-uuid" -> new PoolVerbs.PoolUuid();
            case "find-pool-sources" -> new HostVerbs.FindPoolSources();
            case "vol-list" -> new VolumeVerbs.VolList();
            case "vol-create" -> new VolumeVerbs.VolCreate();
            case "vol-create-as" -> new VolumeVerbs.VolCreateAs();
            case "vol-create-from" -> new VolumeVerbs.VolCreateFrom();
            case "vol-clone" -> new VolumeVerbs.VolClone();
            case "vol-delete" -> new VolumeVerbs.VolDelete();
            case "vol-resize" -> new VolumeVerbs.VolResize();
            case "vol-wipe" -> new VolumeVerbs.VolWipe();
            case "vol-snapshot" -> new VolumeVerbs.VolSnapshot();
            case "vol-info" -> new VolumeVerbs.VolInfoVerb();
            case "vol-dumpxml" -> new VolumeVerbs.VolDumpXml();
            case "vol-path" -> new VolumeVerbs.VolPath();
            case "vol-key" -> new VolumeVerbs.VolKey();
            case "vol-name" -> new VolumeVerbs.VolName();
            case "vol-pool" -> new VolumeVerbs.VolPool();
            case "vol-upload" -> new VolumeVerbs.VolUpload();
            case "vol-download" -> new VolumeVerbs.VolDownload();
            case "host-devices" -> new HostVerbs.HostDevices();
            case "backends" -> new HostVerbs.Backends();
            case "event" -> new EventVerb();
            case "batch" -> new Batch();
            case "shell" -> new Shell();
            case "tour" -> new Tour();
            case "completion" -> new Completion();
            case "help" -> new CommandLine.HelpCommand();
            default -> throw new IllegalArgumentException("no verb " + name);
        };
    }

    /**
     * The one verb {@code args} runs, when the model needs no other: the first argument that is
     * not a global option, if it names a verb. Empty (build them all) for help, completion, a
     * global option asking for help or the version, an unknown option or verb, or no verb.
     */
    static Optional<String> only(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--json", "--debug" -> {
                    continue;
                }
                case "--config-dir", "--backend-option" -> {
                    i++;
                    continue;
                }
                default -> {
                    if (arg.startsWith("--config-dir=") || arg.startsWith("--backend-option=")) {
                        continue;
                    }
                }
            }
            if (NEED_ALL.contains(arg)) {
                return Optional.empty();
            }
            String name = ALIASES.getOrDefault(arg, arg);
            return NAMES.contains(name) ? Optional.of(name) : Optional.empty();
        }
        return Optional.empty();
    }
}
