package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.libstorage.ErrorCode;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;

/** Global options, help, version, usage errors and the exit status of failures. */
class GlobalBehaviourTest {
    private final FakeStorage storage = new FakeStorage();

    @Test
    void configDirChoosesTheConfigurationAndTheStorageIsClosed() {
        Cli cli = new Cli(storage);
        assertEquals(0, cli.run("--config-dir", "/tmp/some-config", "pool-list").status());
        StorageConfig expected = StorageConfig.ofDirectory(Path.of("/tmp/some-config"));
        assertEquals(expected.configDir(), cli.configsOpened.getFirst().configDir());
        assertEquals(expected.runDir(), cli.configsOpened.getFirst().runDir());
        assertTrue(storage.closed);
        assertEquals(0, cli.run("pool-list", "--config-dir", "/tmp/other").status(), "global options go after the verb too");
        assertEquals(Path.of("/tmp/other"), cli.configsOpened.get(1).configDir());
        assertEquals(0, cli.run("pool-list").status());
        assertEquals(StorageConfig.defaults().configDir(), cli.configsOpened.get(2).configDir());
    }

    @Test
    void backendOptionsReachTheStorageConfiguration() {
        Cli cli = new Cli(storage);

        assertEquals(0, cli.run("--backend-option", "lvm.engine=command", "--backend-option", "zfs.refresh=command",
                "pool-list").status());

        assertEquals(java.util.Map.of("lvm.engine", "command", "zfs.refresh", "command"),
                cli.configsOpened.getFirst().backendOptions());
        Cli.Result noKey = cli.run("--backend-option", "=command", "pool-list");
        assertEquals(2, noKey.status(), noKey.toString());
        assertTrue(noKey.err().contains("has no key"), noKey.err());
        Cli.Result noValue = cli.run("--backend-option", "lvm.engine", "pool-list");
        assertEquals(2, noValue.status(), noValue.toString());
        assertTrue(cli.run("--help").out().contains("--backend-option=KEY=VALUE"), "documented in --help");
    }

    @Test
    void helpAndVersion() {
        Cli cli = new Cli(storage);
        Cli.Result help = cli.run("--help");
        assertEquals(0, help.status());
        for (String verb : new String[] {"pool-list", "pool-define-as", "pool-destroy", "vol-create-as", "vol-clone",
            "vol-upload", "vol-download", "host-devices", "backends", "find-pool-sources", "tour"}) {
            assertTrue(help.out().contains(verb), verb + " in\n" + help.out());
        }
        String groups = help.out().replaceAll("(?s).*?\n(Pools:\n)", "$1");
        assertTrue(groups.indexOf("Pools:\n") < groups.indexOf("Volumes:\n")
                && groups.indexOf("Volumes:\n") < groups.indexOf("Host:\n")
                && groups.indexOf("Host:\n") < groups.indexOf("Other:\n"), help.out());
        assertTrue(groups.substring(groups.indexOf("Host:"), groups.indexOf("Other:")).contains("host-devices"), help.out());
        Cli.Result verbHelp = cli.run("vol-create-as", "--help");
        assertTrue(verbHelp.out().contains("--allocation=SIZE"), verbHelp.out());
        Cli.Result version = cli.run("--version");
        assertEquals(0, version.status());
        assertTrue(version.out().startsWith("storagectl 0.1"), version.out());
        assertTrue(cli.configsOpened.isEmpty(), "help and version open no storage");
    }

    @Test
    void completionCoversEveryVerb() {
        Cli.Result script = new Cli(storage).run("completion");
        assertEquals(0, script.status());
        assertTrue(script.out().startsWith("#!/usr/bin/env bash"), script.out());
        for (String verb : new String[] {"pool-define-as", "vol-create-as", "vol-download", "host-devices", "tour"}) {
            assertTrue(script.out().contains(verb), verb);
        }
        assertTrue(script.out().contains("--allocation"));
    }

    @Test
    void usageErrorsExitTwoWithPicocliMessage() {
        Cli cli = new Cli(storage);
        Cli.Result unknown = cli.run("pool-lsit");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().startsWith("error: Unmatched argument at index 0: 'pool-lsit'"), unknown.err());
        assertTrue(unknown.err().contains("Did you mean: storagectl pool-list"), unknown.err());
        Cli.Result missing = cli.run("pool-start");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("Missing required parameter: 'POOL'"), missing.err());
        assertTrue(missing.err().contains("Try 'storagectl pool-start --help'"), missing.err());
        assertEquals(2, cli.run().status());
    }

    @Test
    void everyErrorCategoryHasItsExitStatus() {
        for (ErrorCode code : ErrorCode.values()) {
            Cli cli = new Cli(config -> {
                throw new StorageException(code, null, null, "It failed with " + code + ".");
            }, false);
            Cli.Result r = cli.run("pool-list");
            assertEquals(code.category().exitStatus(), r.status(), code::name);
            assertEquals("error: It failed with " + code + ".\n", r.err());
        }
    }

    @Test
    void stackTracesOnlyWithDebug() {
        Cli cli = new Cli(config -> {
            throw new StorageException(ErrorCode.NATIVE_FAILURE, null, null, "statvfs failed.",
                    new IllegalStateException("errno 5 (EIO)"));
        }, false);
        Cli.Result plain = cli.run("pool-list");
        assertEquals("error: statvfs failed.\n", plain.err());
        Cli.Result debug = cli.run("--debug", "pool-list");
        assertTrue(debug.err().startsWith("error: statvfs failed.\n"), debug.err());
        assertTrue(debug.err().contains("Caused by: java.lang.IllegalStateException: errno 5 (EIO)"), debug.err());

        Cli bug = new Cli(config -> {
            throw new IllegalStateException("a bug");
        }, false);
        Cli.Result internal = bug.run("pool-list");
        assertEquals(10, internal.status());
        assertEquals("error: internal error: java.lang.IllegalStateException: a bug\n"
                + "(run again with --debug for the stack trace)\n", internal.err());
    }

    @Test
    void progressBarsOnlyAtATerminal() {
        StringWriter err = new StringWriter();
        try (ProgressBar bar = ProgressBar.create(new PrintWriter(err), true, "clone")) {
            bar.progress(0, 4L << 30);
            bar.progress(1L << 30, 4L << 30);
            bar.progress(1L << 30, 4L << 30);
            bar.progress(4L << 30, 4L << 30);
        }
        String drawn = err.toString();
        assertEquals(3, drawn.split("\r", -1).length - 1, "an unchanged percentage is not redrawn: " + drawn);
        assertTrue(drawn.contains("clone [=======>                      ]  25%  1.00 GiB / 4.00 GiB"), drawn);
        assertTrue(drawn.contains("100%  4.00 GiB / 4.00 GiB"), drawn);
        assertTrue(drawn.endsWith("\n"));

        StringWriter quiet = new StringWriter();
        try (ProgressBar bar = ProgressBar.create(new PrintWriter(quiet), false, "clone")) {
            bar.progress(1, 2);
        }
        assertEquals("", quiet.toString());
    }

    @Test
    void verbsDrawProgressAtATerminalAndNeverElsewhere() {
        Cli terminal = new Cli(config -> storage, true);
        terminal.run("pool-define-as", "p", "dir", "--target", "/tmp/p");
        terminal.run("pool-start", "p");
        terminal.run("vol-create-as", "p", "a.img", "1G");
        Cli.Result drawn = terminal.run("vol-clone", "a.img", "b.img", "--pool", "p");
        assertEquals(0, drawn.status(), drawn::toString);
        assertTrue(drawn.err().contains("clone [") && drawn.err().contains("100%"), drawn.err());
        assertEquals("Vol b.img cloned from a.img\n", drawn.out());

        Cli.Result piped = new Cli(storage).run("vol-wipe", "b.img", "--pool", "p");
        assertEquals("", piped.err());
        assertFalse(piped.out().contains("%"));
    }
    @Test
    void theVerbTableMatchesEachVerbsAnnotationAndACommandLineHoldsOnlyTheVerbItNames() {
        java.util.Set<String> aliases = new java.util.HashSet<>();
        for (String name : Verbs.NAMES) {
            picocli.CommandLine.Command command = Verbs.make(name).getClass().getAnnotation(picocli.CommandLine.Command.class);
            assertEquals(name, command.name());
            aliases.addAll(java.util.List.of(command.aliases()));
        }
        assertEquals(aliases, Verbs.ALIASES.keySet());
        aliases.forEach(alias -> assertTrue(Verbs.NAMES.contains(Verbs.ALIASES.get(alias)), alias));

        String[] create = {"--config-dir", "/tmp/x", "--json", "vol-create-as", "p", "v", "1G"};
        picocli.CommandLine one = Storagectl.commandLine(new Storagectl(c -> storage, false, true),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), create);
        assertEquals(java.util.Set.of("vol-create-as"), one.getSubcommands().keySet());
        String[] destroy = {"pool-destroy", "p"};
        picocli.CommandLine alias = Storagectl.commandLine(new Storagectl(c -> storage, false, true),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), destroy);
        assertEquals(java.util.Set.of("pool-stop", "pool-destroy"), alias.getSubcommands().keySet());
        for (String[] all : new String[][] {{}, {"--help"}, {"help", "vol-list"}, {"completion"}, {"vol-craete-as"}}) {
            picocli.CommandLine full = Storagectl.commandLine(new Storagectl(c -> storage, false, true),
                    new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), all);
            assertTrue(full.getSubcommands().keySet().containsAll(Verbs.NAMES), String.join(" ", all));
        }
        Cli.Result typo = new Cli(storage).run("vol-craete-as", "p", "v", "1G");
        assertEquals(2, typo.status());
        assertTrue(typo.err().contains("vol-create-as"), "an unknown verb still gets suggestions:\n" + typo);
    }
}
