package org.libstorage.storagectl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The tour's script and clean-up, run against the fake storage (the real run is in the end-to-end tests). */
class TourWithFakeStorageTest {

    @Test
    void tourRunsEveryStepAndLeavesNothingBehind() {
        FakeStorage storage = new FakeStorage();
        Cli cli = new Cli(storage);
        Cli.Result r = cli.run("tour");
        assertEquals(0, r.status(), r::toString);
        assertEquals("", r.err());
        for (String command : new String[] {"$ storagectl pool-define-as tour dir --target", "$ storagectl pool-build tour",
            "$ storagectl vol-create-as tour sparse.img 1GiB", "$ storagectl vol-clone sparse.img copy.img --pool tour",
            "$ storagectl vol-wipe full.img --pool tour --algorithm zero", "$ storagectl pool-undefine tour"}) {
            assertTrue(r.out().contains(command), command + "\n" + r.out());
        }
        assertTrue(r.out().contains("The downloaded bytes match the uploaded file."), r.out());
        assertTrue(r.out().contains("Tour complete"), r.out());
        assertTrue(storage.pools.isEmpty(), "the tour undefines its pool");
        Path work = Path.of(r.out().lines().filter(l -> l.startsWith("Working in ")).findFirst().orElseThrow()
                .substring("Working in ".length()).replaceFirst(" \\(.*", ""));
        assertTrue(!Files.exists(work), "the tour removes " + work);
        assertTrue(cli.configsOpened.getFirst().configDir().startsWith(work), "the tour never opens the user's configuration");
    }

    @Test
    void aFailingStepStopsTheTourAndStillCleansUp() {
        FakeStorage storage = new FakeStorage();
        storage.failOnVolume = "copy.img";
        storage.definePool(org.libstorage.PoolDefinition.builder(org.libstorage.PoolType.DIR, "other")
                .targetPath(Path.of("/x")).build());
        Cli.Result r = new Cli(storage).run("tour");
        assertEquals(10, r.status(), r::toString);
        assertTrue(r.err().contains("error: The disk is on fire."), r.err());
        assertTrue(r.out().contains("The tour stopped at step 9"), r.out());
        assertEquals(java.util.Set.of("other"), storage.pools.keySet(), "only the tour's own pool is removed");
    }
}
