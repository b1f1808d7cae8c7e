package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.backends.LowerLayerErrors;
import org.libstorage.fallback.LvmCommand;
import org.libstorage.lower.CommandException;
import org.libstorage.nativelib.NativeCallException;

/**
 * When liblvm2cmd is installed but cannot start, the backend says so (and keeps why), instead of
 * telling the user to install what is installed; a runner that cannot run at all leaves the
 * object and operation to the core, so the user sees vol-create, not lvcreate.
 */
class LvmInitFailureTest {

    @Test
    void anInstalledLibraryThatCannotStartIsNotReportedAsMissing() {
        NativeCallException why = new NativeCallException(Lvm2cmdSoname.SONAME, "lvm2_init_threaded", 0, "",
                "LVM could not initialise its command context (it returned no handle)");
        CommandLvmRunner command = new CommandLvmRunner(LvmCommand.create(LogicalBackend.COMMAND_TIMEOUT));
        LogicalBackend backend = new LogicalBackend(() -> new Lvm(command, command, new LvmSettings(false, ""),
                Optional.of(why)));
        BackendStatus status = backend.status();
        String notes = String.join("\n", status.notes());
        assertTrue(notes.contains("is installed but could not be initialised"), notes);
        assertTrue(notes.contains("returned no handle"), notes);
        assertFalse(notes.contains("install " + org.libstorage.nativelib.Lvm2cmd.DEBIAN_PACKAGE), notes);
    }

    @Test
    void aCommandThatCannotRunLeavesObjectAndOperationToTheCore() {
        CommandException failure = new CommandException(java.util.List.of("lvm", "lvcreate"),
                CommandException.Reason.NOT_FOUND, java.util.OptionalInt.empty(), "", "lvm is not installed", null);
        StorageException e = LowerLayerErrors.map(failure, null, null, "run LVM's lvcreate");
        assertEquals(ErrorCode.BACKEND_UNAVAILABLE, e.code());
        assertEquals(Optional.empty(), e.operation());
        assertEquals(failure, e.getCause());
    }

    /** The soname, without touching the library. */
    private static final class Lvm2cmdSoname {
        static final String SONAME = org.libstorage.nativelib.Lvm2cmd.SONAME;
    }
}
