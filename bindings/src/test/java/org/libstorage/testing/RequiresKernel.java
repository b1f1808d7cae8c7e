package org.libstorage.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test (or every test of the class) needs these kernel features. Before it runs they are
 * checked on the running kernel: when one is missing the test is skipped, or fails under
 * {@code CI=true}, like any other {@link Requirements need}.
 *
 * <p>The annotation also tags the test {@value #TAG}. The host's Maven runs exclude that tag,
 * since CI's kernel has none of these features; {@code bin/lab} runs exactly that tag in a QEMU
 * guest booting Debian's kernel, where they all are. A host whose kernel has them can run them
 * directly with {@code mvn verify -Dtest.excludedGroups=none}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag(RequiresKernel.TAG)
@ExtendWith(KernelRequirement.class)
public @interface RequiresKernel {
    /** The tag of every test that needs a kernel feature. */
    String TAG = "kernel";

    /** The features needed. */
    KernelFeature[] value();
}
