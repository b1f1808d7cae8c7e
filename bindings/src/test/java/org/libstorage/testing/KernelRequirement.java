package org.libstorage.testing;

import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Checks {@link RequiresKernel} before a class's set-up (class annotation) and before each test
 * (method annotation), so that a {@code @BeforeAll} building on device-mapper never runs without it.
 */
final class KernelRequirement implements BeforeAllCallback, BeforeEachCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        check(context.getTestClass());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        check(context.getTestMethod());
    }

    private static void check(Optional<? extends AnnotatedElement> element) {
        element.flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresKernel.class)).ifPresent(required -> {
            List<String> missing = new ArrayList<>();
            for (KernelFeature feature : required.value()) {
                if (!feature.present()) {
                    missing.add(feature.description());
                }
            }
            Requirements.require(missing.isEmpty(), "a kernel with " + String.join(" and ", missing)
                    + " (bin/lab runs the tests tagged '" + RequiresKernel.TAG + "' in a QEMU guest that has it)");
        });
    }
}
