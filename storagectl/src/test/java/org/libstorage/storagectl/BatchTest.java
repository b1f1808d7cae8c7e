package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.PoolType;

/** storagectl batch and shell: many commands in one process, each with its own status. */
class BatchTest {
    private final FakeStorage storage = new FakeStorage();
    private final Cli cli = new Cli(storage);

    @TempDir
    Path tmp;

    private String pool(String name) {
        return "pool-define-as " + name + " dir --target " + tmp.resolve(name) + "\npool-start " + name + "\n";
    }

    @Test
    void wordsAreSplitAsAShellSplitsThem() throws Words.SyntaxError {
        assertEquals(List.of("vol-create-as", "images", "my disk.img", "1G"),
                Words.split("vol-create-as images 'my disk.img' 1G"));
        assertEquals(List.of("a", "say \"hi\"", "back\\slash", "it's"),
                Words.split("a \"say \\\"hi\\\"\" \"back\\\\slash\" it\\'s"));
        assertEquals(List.of("one two", "", "x#y"), Words.split("  one\\ two\t''  x#y  # a comment 'with quote"));
        assertEquals(List.of("ab c"), Words.split("a'b 'c"), "quoted parts join the word around them");
        assertEquals(List.of(), Words.split("   # only a comment"));
        assertEquals(List.of(), Words.split(""));
        assertThrows(Words.SyntaxError.class, () -> Words.split("vol-info 'unterminated"));
        assertThrows(Words.SyntaxError.class, () -> Words.split("vol-info \"unterminated"));
        assertThrows(Words.SyntaxError.class, () -> Words.split("vol-info trailing\\"));
    }

    @Test
    void everyLineRunsInOrderAgainstOneStorageSkippingCommentsAndBlankLines() {
        String input = "# make a pool and two volumes\n\n" + pool("images")
                + "vol-create-as images 'first disk.img' 1G   # quoted name\n"
                + "   \n"
                + "vol-create-as images second.img 2G\n"
                + "vol-list images\n";
        Cli.Result r = cli.runWithInput(input, "batch");
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err(), r::toString);
        assertTrue(r.out().contains("Vol first disk.img created\nVol second.img created\n"), r::toString);
        assertTrue(r.out().contains("first disk.img") && r.out().indexOf("second.img") > r.out().indexOf("created"), r::toString);
        assertEquals(1, cli.configsOpened.size(), "the storage is opened once for the whole batch");
        assertTrue(storage.closed, "and closed at its end");
    }

    @Test
    void theFirstFailureStopsTheBatchAndGivesItsExitStatus() {
        String input = pool("images")
                + "vol-info missing.img --pool images\n"
                + "vol-create-as images never.img 1G\n";
        Cli.Result r = cli.runWithInput(input, "batch");
        assertEquals(3, r.status(), r::toString);
        assertTrue(r.err().contains("error: "), r::toString);
        assertTrue(r.err().contains("line 3: exit status 3 (vol-info missing.img --pool images)"), r::toString);
        assertTrue(r.err().contains("stopped at line 3"), r::toString);
        assertFalse(storage.pools.get("images").volumes.containsKey("never.img"), "nothing after the failure ran");
    }

    @Test
    void keepGoingRunsEveryLineReportsEachFailureAndExitsWithTheFirst() {
        String input = pool("images")
                + "vol-create-as images a.img 1G\n"
                + "vol-create-as images a.img 1G\n"       // exists: 4
                + "vol-info nope.img --pool images\n"     // not found: 3
                + "vol-create-as images b.img 1G\n";
        Cli.Result r = cli.runWithInput(input, "batch", "--keep-going");
        assertEquals(4, r.status(), r::toString);
        assertTrue(r.err().contains("line 4: exit status 4"), r::toString);
        assertTrue(r.err().contains("line 5: exit status 3"), r::toString);
        assertTrue(r.err().contains("2 of 6 commands failed (lines 4, 5)"), r::toString);
        assertTrue(storage.pools.get("images").volumes.containsKey("b.img"), "the line after the failures ran");
    }

    @Test
    void verboseReportsEveryStatusAndQuitEndsTheBatch() {
        Cli.Result r = cli.runWithInput(pool("images") + "pool-list\nquit\nvol-create-as images late.img 1G\n",
                "batch", "-v");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.err().contains("line 1: exit status 0 (pool-define-as images dir"), r::toString);
        assertTrue(r.err().contains("line 3: exit status 0 (pool-list)"), r::toString);
        assertFalse(storage.pools.get("images").volumes.containsKey("late.img"), "nothing after quit ran");
    }

    @Test
    void badLinesFailWithUsageStatusAndChangeNothing() {
        String input = pool("images")
                + "vol-create-as images 'unterminated 1G\n"
                + "vol-create-as images x.img 1G --config-dir /elsewhere\n"
                + "batch\n"
                + "no-such-verb\n"
                + "vol-create-as images x.img not-a-size\n";
        Cli.Result r = cli.runWithInput(input, "batch", "--keep-going");
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("unterminated single quote"), r::toString);
        assertTrue(r.err().contains("cannot choose --config-dir"), r::toString);
        assertTrue(r.err().contains("'batch' cannot run inside a batch or shell"), r::toString);
        for (int line = 3; line <= 7; line++) {
            assertTrue(r.err().contains("line " + line + ": exit status 2"), line + "\n" + r);
        }
        assertTrue(storage.pools.get("images").volumes.isEmpty(), r::toString);
    }

    @Test
    void commandsComeFromAFileAndGlobalOptionsApplyToEveryLine() throws Exception {
        Path file = tmp.resolve("commands.txt");
        Files.writeString(file, pool("images") + "vol-create-as images a.img 1M\npool-list\nvol-list images\n");
        Cli.Result r = cli.run("--json", "batch", "--file", file.toString());
        assertEquals(0, r.status(), r::toString);
        String out = r.out();
        int list = out.indexOf('[');
        JsonNode pools = new ObjectMapper().readTree(out.substring(list, out.indexOf("]\n", list) + 1));
        assertEquals("images", pools.get(0).get("name").asText(), out);
        assertTrue(out.contains("\"path\""), "vol-list printed JSON too:\n" + out);
        assertEquals(PoolType.DIR, storage.pools.get("images").definition.type());

        Cli.Result missing = cli.run("batch", "-f", tmp.resolve("missing.txt").toString());
        assertEquals(2, missing.status(), missing::toString);
        assertTrue(missing.err().contains("missing.txt"), missing::toString);
    }

    @Test
    void aLongBatchReusesEachVerbsModelWithoutLeakingOptionsBetweenLines() {
        StringBuilder input = new StringBuilder(pool("images"));
        input.append("vol-create-as images full.img 1M --allocation 1M\n");
        for (int i = 0; i < 200; i++) {
            input.append("vol-create-as images v").append(i).append(".img 1M\n");
        }
        Cli.Result r = cli.runWithInput(input.toString(), "batch");
        assertEquals(0, r.status(), r::toString);
        var volumes = storage.pools.get("images").volumes;
        assertEquals(201, volumes.size());
        assertEquals(1 << 20, volumes.get("full.img").definition.allocation().orElseThrow());
        assertEquals(0, volumes.get("v0.img").definition.allocation().orElse(0), "--allocation of an earlier line does not carry over");
    }

    @Test
    void theShellGoesOnAfterFailuresAndPromptsOnlyOnATerminal() {
        String input = pool("images") + "vol-info nope.img --pool images\nvol-create-as images a.img 1G\nexit\n";
        Cli.Result r = cli.runWithInput(input, "shell");
        assertEquals(3, r.status(), r::toString);
        assertTrue(storage.pools.get("images").volumes.containsKey("a.img"), r::toString);
        assertFalse(r.out().contains("storagectl> "), "no prompt when not on a terminal");

        Cli.Result prompted = new Cli(config -> storage, true).runWithInput("pool-list\n", "shell");
        assertEquals(0, prompted.status(), prompted::toString);
        assertTrue(prompted.out().startsWith("storagectl> "), prompted::toString);
        assertTrue(prompted.out().endsWith("storagectl> \n"), "a newline after end of input:\n" + prompted);
    }
}
