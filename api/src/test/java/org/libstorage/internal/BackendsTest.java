package org.libstorage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.libstorage.internal.StorageTestSupport.assertFails;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.BackendStatus;
import org.libstorage.ErrorCode;
import org.libstorage.HostDevice;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageException;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.HostDeviceProvider;
import org.libstorage.spi.PoolBackend;
import org.libstorage.spi.PoolDriver;

/** How the core chooses among backends and gathers host devices. */
class BackendsTest {
    @TempDir
    Path dir;

    private static HostDevice device(String name) {
        return new HostDevice(name, Path.of("/dev", name), HostDevice.Kind.LOOP, 1 << 20, 512, 512, false, false,
                false, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                List.of(), List.of(), List.of(), HostDevice.Probe.NOTHING);
    }

    /** A logical backend that is available and finds one volume group. */
    private static class WorkingLogical implements PoolBackend {
        @Override
        public PoolType type() {
            return PoolType.LOGICAL;
        }

        @Override
        public BackendStatus status() {
            return BackendStatus.available(PoolType.LOGICAL, "runs through the command-line fallback");
        }

        @Override
        public PoolDefinition validate(PoolDefinition definition) {
            return definition;
        }

        @Override
        public PoolDriver open(PoolDefinition definition, BackendContext context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<PoolSource> findPoolSources(Optional<PoolSource> hint) {
            return List.of(PoolSource.builder().name("vg0").build());
        }
    }

    @Test
    void anAvailableBackendIsPreferredOverAnUnavailableOneForTheSameType() {
        PoolBackend working = new WorkingLogical();
        Backends backends = Backends.of(List.of(new FakeUnavailableBackend(), working), List.of());
        assertSame(working, backends.backend(PoolType.LOGICAL).orElseThrow());
        try (Storage storage = DefaultStorage.open(StorageConfig.ofDirectory(dir), backends)) {
            BackendStatus status = storage.backends().get(PoolType.LOGICAL.ordinal());
            assertEquals(List.of("runs through the command-line fallback"), status.notes());
            assertEquals(List.of(PoolSource.builder().name("vg0").build()),
                    storage.findPoolSources(PoolType.LOGICAL, Optional.empty()));
        }
    }

    /** A logical backend that says, in its status and its sources, which engine its options chose. */
    private static final class OptionEcho extends WorkingLogical {
        @Override
        public BackendStatus status(BackendContext context) {
            return BackendStatus.available(PoolType.LOGICAL, "engine " + context.option("lvm.engine").orElse("auto"));
        }

        @Override
        public List<PoolSource> findPoolSources(Optional<PoolSource> hint, BackendContext context) {
            return List.of(PoolSource.builder().name("vg-" + context.option("lvm.engine").orElse("auto")).build());
        }
    }

    @Test
    void everyEntryPointOfABackendSeesTheBackendOptions() {
        Backends backends = Backends.of(List.of(new OptionEcho()), List.of());
        StorageConfig config = StorageConfig.ofDirectory(dir).withBackendOption("lvm.engine", "command");
        try (Storage storage = DefaultStorage.open(config, backends)) {
            assertEquals(List.of("engine command"), storage.backends().get(PoolType.LOGICAL.ordinal()).notes());
            assertEquals(List.of(PoolSource.builder().name("vg-command").build()),
                    storage.findPoolSources(PoolType.LOGICAL, Optional.empty()));
        }
    }

    @Test
    void hostDevicesComeFromEveryProvider() {
        HostDeviceProvider loops = () -> List.of(device("loop0"), device("loop1"));
        HostDeviceProvider disks = () -> List.of(device("vda"));
        try (Storage storage = DefaultStorage.open(StorageConfig.ofDirectory(dir),
                Backends.of(List.of(), List.of(loops, disks)))) {
            assertEquals(List.of("loop0", "loop1", "vda"), storage.hostDevices().stream().map(HostDevice::name).toList());
        }
    }

    @Test
    void aProviderBugIsAnInternalErrorAndItsStorageErrorsPassThrough() {
        HostDeviceProvider buggy = () -> {
            throw new IndexOutOfBoundsException("sysfs parse");
        };
        try (Storage storage = DefaultStorage.open(StorageConfig.ofDirectory(dir),
                Backends.of(List.of(), List.of(buggy)))) {
            StorageException e = assertFails(ErrorCode.INTERNAL_ERROR, storage::hostDevices, "sysfs parse");
            assertInstanceOf(IndexOutOfBoundsException.class, e.getCause());
        }
        StorageException original = new StorageException(ErrorCode.PERMISSION_DENIED, "device /dev/sda",
                "nodedev-list", "Cannot open /dev/sda: permission denied.");
        HostDeviceProvider denied = () -> {
            throw original;
        };
        try (Storage storage = DefaultStorage.open(StorageConfig.ofDirectory(dir),
                Backends.of(List.of(), List.of(denied)))) {
            StorageException e = org.junit.jupiter.api.Assertions.assertThrows(StorageException.class,
                    storage::hostDevices);
            assertSame(original, e);
        }
    }

    @Test
    void aBackendWhoseStatusCheckFailsIsReportedUnavailable() {
        PoolBackend broken = new WorkingLogical() {
            @Override
            public BackendStatus status() {
                throw new IllegalStateException("probe crashed");
            }
        };
        Backends backends = Backends.of(List.of(broken), List.of());
        BackendStatus status = backends.status(PoolType.LOGICAL);
        assertEquals(false, status.available());
        assertEquals(true, status.reason().orElseThrow().contains("probe crashed"));
    }
    /** A dir backend whose making is counted. */
    private static PoolBackend dirBackend() {
        return new WorkingLogical() {
            @Override
            public PoolType type() {
                return PoolType.DIR;
            }

            @Override
            public BackendStatus status() {
                return BackendStatus.available(PoolType.DIR);
            }
        };
    }

    @Test
    void aBackendIsMadeOnlyWhenItsPoolTypeIsFirstUsed() {
        List<String> made = new java.util.ArrayList<>();
        Backends.Lazy dir = new Backends.Lazy(PoolType.DIR, "dir", () -> {
            made.add("dir");
            return dirBackend();
        });
        Backends.Lazy logical = new Backends.Lazy(PoolType.LOGICAL, "logical", () -> {
            made.add("logical");
            return new WorkingLogical();
        });
        List<String> devicesListed = new java.util.ArrayList<>();
        Backends backends = Backends.ofLazy(List.of(dir, logical), () -> {
            devicesListed.add("devices");
            return List.of();
        });
        assertEquals(List.of(), made, "nothing is made up front");
        assertEquals(PoolType.DIR, backends.backend(PoolType.DIR).orElseThrow().type());
        assertEquals(true, backends.status(PoolType.DIR).available());
        assertEquals(List.of("dir"), made, "only the dir backend was made, once");
        assertEquals(List.of(), devicesListed, "host-device providers are loaded when devices are asked for");
        backends.deviceProviders();
        backends.deviceProviders();
        assertEquals(List.of("devices"), devicesListed);
        assertEquals(PoolType.LOGICAL, backends.backend(PoolType.LOGICAL).orElseThrow().type());
        assertEquals(List.of("dir", "logical"), made);
    }

    @Test
    void aBackendThatServesAnotherTypeThanDeclaredOrFailsToLoadIsIgnored() {
        Backends.Lazy liar = new Backends.Lazy(PoolType.DIR, "liar", WorkingLogical::new);
        Backends.Lazy crashing = new Backends.Lazy(PoolType.FS, "crashing", () -> {
            throw new IllegalStateException("constructor crashed");
        });
        Backends backends = Backends.ofLazy(List.of(liar, crashing), List::of);
        assertEquals(Optional.empty(), backends.backend(PoolType.DIR));
        assertEquals(Optional.empty(), backends.backend(PoolType.FS));
        assertEquals(false, backends.status(PoolType.FS).available());
    }
}
