package org.libstorage.benchmarks;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/**
 * Runs no benchmark: checks that the build generated JMH's benchmark list, so a build that
 * silently skipped annotation processing (JDK 23+ does unless asked) fails here rather than in
 * {@code bin/bench}.
 */
class BenchmarkListTest {

    @Test
    void theBuildListsTheDirPoolBenchmarks() throws IOException {
        String list;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/BenchmarkList")) {
            assertNotNull(in, "META-INF/BenchmarkList is missing: JMH's annotation processor did not run");
            list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String benchmark : new String[] {
                "CreateVolumesBenchmark_createOneVolume", "CreateVolumesBenchmark_createThousandVolumes",
                "PoolListingBenchmark_refreshAndList", "PoolListingBenchmark_list",
                "PoolListingBenchmark_lookupByName", "PoolListingBenchmark_lookupByPath",
                "NativeCallBenchmark_ffmGetpid", "NativeCallBenchmark_jnaGetpid"}) {
            // Each entry names the generated class that runs it.
            assertTrue(list.contains("org.libstorage.benchmarks.jmh_generated." + benchmark + "_jmhTest "),
                    benchmark + " is not in the JMH list");
        }
    }
}
