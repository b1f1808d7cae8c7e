package org.libstorage.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.libstorage.nativelib.IscsiException;
import org.libstorage.nativelib.LibraryUnavailableException;
import org.libstorage.nativelib.NativeCallException;

/** The lower layers throw one closed family, and each member keeps the exception that caused it. */
class LowerLayerExceptionTest {

    @Test
    void theFamilyIsSealedToTheFourLowerLayerFailures() {
        assertTrue(LowerLayerException.class.isSealed());
        Set<Class<?>> members = Arrays.stream(LowerLayerException.class.getPermittedSubclasses()).collect(Collectors.toSet());
        assertEquals(Set.of(NativeCallException.class, LibraryUnavailableException.class, IscsiException.class,
                CommandException.class), members);
    }

    @Test
    void everyMemberKeepsItsCauseUnchanged() {
        Throwable cause = new IOException("the original");
        List<LowerLayerException> all = List.of(
                new NativeCallException("liblvm2cmd.so.2.03", "lvm2_run", 0, "", "the call failed on LVM's thread", cause),
                new LibraryUnavailableException("libx", "libx.so.1", "libx1", "not found", cause),
                new CommandException(List.of("lvm", "lvs"), CommandException.Reason.FAILED_TO_START, OptionalInt.empty(),
                        "", Optional.empty(), "lvm could not start", cause));
        for (LowerLayerException e : all) {
            assertSame(cause, e.getCause(), e.getClass().getSimpleName());
            assertTrue(!e.getMessage().contains("java.io.IOException"), "no cause text copied in: " + e.getMessage());
        }
    }

    @Test
    void aMapperSeesEveryCase() {
        LowerLayerException e = new NativeCallException("libc.so.6", "open", 2, "ENOENT", "No such file or directory");
        String kind = switch (e) {
            case NativeCallException n -> "native " + n.errnoName();
            case LibraryUnavailableException u -> "unavailable";
            case IscsiException i -> "iscsi";
            case CommandException c -> "command";
        };
        assertEquals("native ENOENT", kind);
    }
}
