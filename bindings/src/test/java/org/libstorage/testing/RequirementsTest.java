package org.libstorage.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class RequirementsTest {
    @Test
    void aMetNeedLetsTheTestRun() {
        Requirements.require(true, "nothing");
    }

    @Test
    void aMissingNeedSkipsOnADevelopersMachineAndFailsUnderCi() {
        Class<? extends Throwable> expected = Requirements.inCi() ? AssertionFailedError.class : TestAbortedException.class;
        Throwable thrown = assertThrows(expected, () -> Requirements.require(false, "a unicorn (Debian package unicorn)"));
        assertTrue(thrown.getMessage().contains("this test needs a unicorn (Debian package unicorn)"), thrown.getMessage());
    }

    @Test
    void theRootCheckAgreesWithTheEffectiveUser() throws Exception {
        Process id = new ProcessBuilder("id", "-u").start();
        String uid = new String(id.getInputStream().readAllBytes()).strip();
        id.waitFor();
        assertEquals("0".equals(uid), Requirements.isRoot());
    }

    @Test
    void everyKernelFeatureHasADescriptionForItsMessages() {
        for (KernelFeature feature : KernelFeature.values()) {
            assertTrue(!feature.description().isBlank(), feature.name());
        }
    }
}
