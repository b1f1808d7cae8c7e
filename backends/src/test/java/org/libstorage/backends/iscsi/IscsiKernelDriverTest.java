package org.libstorage.backends.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeType;
import org.libstorage.backends.hostdevices.FakeIscsiSysfs;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.CommandRunner;
import org.libstorage.fallback.Iscsiadm;
import org.libstorage.spi.BackendContext;
import org.libstorage.spi.PoolContents;
import org.libstorage.spi.PoolDriver;

/**
 * The kernel iscsi pool's decisions, on any host: a stand-in {@code iscsiadm} that records its
 * argv and keeps node records as open-iscsi 2.1.8 does, a sysfs laid out as the 6.1 kernel lays
 * it out, and sessions that exist while the stand-in is logged in. The real initiator against
 * tgtd is {@code IscsiKernelPoolTest}, in the kernel lab.
 */
class IscsiKernelDriverTest {
    static final String TARGET = FakeIscsiSysfs.TARGET;
    static final String PASSWORD = "tr0ub4dor&3";

    @TempDir
    Path dir;
    Path state;
    Path etc;
    Path sys;
    IscsiKernelBackend backend;

    @BeforeEach
    void standIn() throws IOException {
        state = Files.createDirectories(dir.resolve("state"));
        etc = Files.createDirectories(dir.resolve("etc-iscsi"));
        sys = Files.createDirectories(dir.resolve("sys"));
        Files.createDirectories(sys.resolve("class/iscsi_transport/tcp"));
        Files.writeString(state.resolve("targets"), "127.0.0.1:3260,1 " + TARGET + "\n127.0.0.1:3260,1 "
                + TARGET + "-other\n");
        Path script = dir.resolve("iscsiadm");
        Files.writeString(script, """
                #!/bin/bash
                S=%s; ETC=%s
                echo "$*" >> $S/argv.log
                mode=; op=; target=; portal=; action=
                while [ $# -gt 0 ]; do case "$1" in
                  --mode) mode=$2; shift;; --op) op=$2; shift;; --targetname) target=$2; shift;;
                  --portal) portal=$2; shift;; --login) action=login;; --logout) action=logout;; esac; shift; done
                [ -z "$action" ] && action=$mode${op:+-$op}
                if [ -e $S/fail-$action ]; then tail -n +2 $S/fail-$action >&2; exit $(head -1 $S/fail-$action); fi
                record="$ETC/nodes/$target/${portal%%:*},${portal##*:}"
                case $action in
                  discovery-nonpersistent) cat $S/targets;;
                  node-new) mkdir -p "$ETC/nodes/$target"; umask 077
                    printf '# BEGIN RECORD 2.1.8\\nnode.name = %%s\\nnode.session.auth.password = \\n# END RECORD\\n' "$target" > "$record";;
                  node-delete) [ -e "$record" ] || exit 21; rm "$record";;
                  login) [ -e $S/session ] && exit 15; touch $S/session;;
                  logout) [ -e $S/session ] || exit 21; rm $S/session;;
                esac
                exit 0
                """.formatted(state, etc));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        KernelSessions sessions = new KernelSessions() {
            @Override
            public List<Session> list() {
                return Files.exists(state.resolve("session"))
                        ? List.of(new Session(7, TARGET, "127.0.0.1", 3260, "default")) : List.of();
            }

            @Override
            public String source() {
                return "the test";
            }
        };
        backend = new IscsiKernelBackend(new IscsiKernelDriver.Settings(etc, sys, dir.resolve("dev"),
                Duration.ofMillis(200), OptionalInt.empty()),
                new Iscsiadm(CommandRunner.create(), script.toString()), sessions);
    }

    private PoolDriver driver(Optional<PoolSource.Auth> auth) {
        PoolSource.Builder source = PoolSource.builder().host(PoolSource.Host.of("127.0.0.1")).device(Path.of(TARGET));
        auth.ifPresent(source::auth);
        PoolDefinition definition = PoolDefinition.builder(PoolType.ISCSI, "san").source(source.build())
                .targetPath(Path.of("/dev/disk/by-path")).build();
        return backend.open(definition, new BackendContext(dir.resolve("pool-state"),
                ref -> Optional.of(PASSWORD.getBytes(StandardCharsets.UTF_8))));
    }

    private List<String> argv() throws IOException {
        return Files.readAllLines(state.resolve("argv.log"));
    }

    private Path record() {
        return etc.resolve("nodes").resolve(TARGET).resolve("127.0.0.1,3260");
    }

    @Test
    void startDiscoversMakesTheRecordAndLogsIn() throws IOException {
        PoolDriver driver = driver(Optional.empty());
        assertFalse(driver.isActive());
        driver.start();
        assertTrue(driver.isActive());
        assertEquals(List.of(
                "--mode discovery --type sendtargets --portal 127.0.0.1:3260 --op nonpersistent",
                "--mode node --targetname " + TARGET + " --portal 127.0.0.1:3260 --op new",
                "--mode node --targetname " + TARGET + " --portal 127.0.0.1:3260 --login"), argv());
    }

    @Test
    void theChapPasswordGoesIntoTheRecordNeverIntoArgv() throws IOException {
        PoolDriver driver = driver(Optional.of(new PoolSource.Auth("chap", "alice", PoolSource.SecretRef.ofUsage("san"))));
        driver.start();
        List<String> argv = argv();
        assertTrue(argv.contains("--mode node --targetname " + TARGET + " --portal 127.0.0.1:3260 --op update"
                + " --name node.session.auth.authmethod --value CHAP"), argv::toString);
        assertTrue(argv.contains("--mode node --targetname " + TARGET + " --portal 127.0.0.1:3260 --op update"
                + " --name node.session.auth.username --value alice"), argv::toString);
        assertTrue(argv.stream().noneMatch(line -> line.contains(PASSWORD) || line.contains("auth.password")),
                argv::toString);
        assertTrue(argv.getLast().endsWith("--login"));
        assertTrue(Files.readAllLines(record()).contains("node.session.auth.password = " + PASSWORD));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(record())));

        driver.stop();
        assertFalse(Files.exists(record()), "stop deletes the record, and the password with it");
        assertFalse(driver.isActive());
    }

    @Test
    void aTargetThePortalDoesNotOfferIsNoSuchDeviceListingWhatItOffers() throws IOException {
        Files.writeString(state.resolve("targets"), "127.0.0.1:3260,1 iqn.2026-01.org.libstorage.test:else\n");
        StorageException e = assertThrows(StorageException.class, () -> driver(Optional.empty()).start());
        assertEquals(ErrorCode.NO_SUCH_DEVICE, e.code());
        assertTrue(e.getMessage().contains("offers no target " + TARGET + "; it offers iqn.2026-01.org.libstorage.test:else"),
                e.getMessage());
        assertEquals(1, argv().size(), "nothing but discovery ran");
    }

    @Test
    void aRefusedPortalIsAnIoErrorWithIscsiadmAsCause() throws IOException {
        Files.writeString(state.resolve("fail-discovery-nonpersistent"), """
                11
                iscsiadm: cannot make connection to 127.0.0.1: Connection refused
                iscsiadm: connection login retries (reopen_max) 5 exceeded
                iscsiadm: Could not perform SendTargets discovery: iSCSI PDU timed out
                """);
        StorageException e = assertThrows(StorageException.class, () -> driver(Optional.empty()).start());
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().startsWith("Cannot connect to the iSCSI portal 127.0.0.1:3260"), e.getMessage());
        CommandException cause = assertInstanceOf(CommandException.class, e.getCause());
        assertEquals(OptionalInt.of(11), cause.exitStatus());
        assertTrue(cause.stderr().contains("Connection refused"));
    }

    @Test
    void rejectedChapIsPermissionDeniedAndLeavesNoRecord() throws IOException {
        Files.writeString(state.resolve("fail-login"), """
                24
                iscsiadm: Could not login to [iface: default, target: %s, portal: 127.0.0.1,3260].
                iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)
                iscsiadm: Could not log into all portals
                """.formatted(TARGET));
        PoolDriver driver = driver(Optional.of(new PoolSource.Auth("chap", "alice", PoolSource.SecretRef.ofUsage("san"))));
        StorageException e = assertThrows(StorageException.class, driver::start);
        assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
        assertTrue(e.getMessage().contains("CHAP"), e.getMessage());
        assertEquals(Optional.of(Iscsiadm.Status.LOGIN_AUTHENTICATION),
                Iscsiadm.Status.of(assertInstanceOf(CommandException.class, e.getCause())));
        assertFalse(Files.exists(record()), "the record holding the password is deleted after a failed login");
        assertTrue(argv().getLast().endsWith("--op delete"));
    }

    @Test
    void startAdoptsASessionThatIsAlreadyThere() throws IOException {
        Files.createFile(state.resolve("session"));
        driver(Optional.empty()).start();
        assertFalse(Files.exists(state.resolve("argv.log")), "no iscsiadm call at all");
    }

    @Test
    void refreshListsTheDiskLunsAsLibvirtNamesAndKeysThem() throws IOException {
        FakeIscsiSysfs.session(sys, 3, 7, "LOGGED_IN", "127.0.0.1", 3260, "sda", "sdb");
        Files.createFile(state.resolve("session"));
        PoolDriver driver = driver(Optional.empty());
        PoolContents contents = driver.refresh();
        assertEquals(List.of("unit:0:0:1", "unit:0:0:2"), contents.volumes().stream().map(VolumeDefinition::name).toList());
        VolumeDefinition first = contents.volumes().getFirst();
        assertEquals(Optional.of("360000000000000000e00000000010001"), first.key(), "scsi_id's identifier");
        assertEquals(Optional.of(dir.resolve("dev/sda")), first.path(), "no udev link: the disk itself");
        assertEquals(Optional.of(VolumeType.BLOCK), first.type());
        assertEquals(16384L * 512, first.capacity());
        assertEquals(java.util.OptionalLong.of(first.capacity()), first.allocation());
        assertEquals(3 * 16384L * 512, contents.info().capacity());
        assertEquals(0, contents.info().available());
        assertEquals("- - -", Files.readString(sys.resolve("class/scsi_host/host3/scan")), "refresh rescans the host");
    }

    @Test
    void aSessionInRecoveryFailsRefreshAndIoAtOnce() throws IOException {
        FakeIscsiSysfs.session(sys, 3, 7, "FAILED", "127.0.0.1", 3260, "sda");
        Files.createFile(state.resolve("session"));
        PoolDriver driver = driver(Optional.empty());
        assertTrue(driver.isActive(), "the kernel keeps the session while it retries");
        StorageException e = assertThrows(StorageException.class, driver::refresh);
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains("is FAILED: the target does not answer"), e.getMessage());
        VolumeDefinition lun = VolumeDefinition.builder("unit:0:0:1", 1 << 20).build();
        assertEquals(ErrorCode.IO_ERROR, assertThrows(StorageException.class, () -> driver.openRead(lun, 0, -1)).code());
    }

    @Test
    void lunsAreNotCreatedOrDeletedFromTheInitiator() {
        PoolDriver driver = driver(Optional.empty());
        VolumeDefinition volume = VolumeDefinition.builder("unit:0:0:9", 1 << 20).build();
        assertEquals(ErrorCode.OPERATION_UNSUPPORTED,
                assertThrows(StorageException.class, () -> driver.createVolume(volume)).code());
        assertEquals(ErrorCode.OPERATION_UNSUPPORTED,
                assertThrows(StorageException.class, () -> driver.deleteVolume(volume)).code());
    }

    @Test
    void stopWithNoSessionLeftIsQuiet() {
        driver(Optional.empty()).stop();
    }

    @Test
    void definitionsFollowLibvirtsRules() {
        PoolSource noTarget = PoolSource.builder().host(PoolSource.Host.of("127.0.0.1")).build();
        assertEquals(ErrorCode.INVALID_DEFINITION, assertThrows(StorageException.class, () -> backend.validate(
                PoolDefinition.builder(PoolType.ISCSI, "san").source(noTarget).build())).code());
        PoolSource badAuth = PoolSource.builder().host(PoolSource.Host.of("127.0.0.1")).device(Path.of(TARGET))
                .auth(new PoolSource.Auth("ceph", "alice", PoolSource.SecretRef.ofUsage("x"))).build();
        assertEquals(ErrorCode.INVALID_DEFINITION, assertThrows(StorageException.class, () -> backend.validate(
                PoolDefinition.builder(PoolType.ISCSI, "san").source(badAuth).build())).code());
        PoolSource badInitiator = PoolSource.builder().host(PoolSource.Host.of("127.0.0.1")).device(Path.of(TARGET))
                .initiatorIqn("iqn.2026-01.org.libstorage.test:host\n1").build(); // iSCSI names are free text, without control characters
        assertEquals(ErrorCode.INVALID_DEFINITION, assertThrows(StorageException.class, () -> backend.validate(
                PoolDefinition.builder(PoolType.ISCSI, "san").source(badInitiator).build())).code());
    }

    @Test
    void anInitiatorIqnGetsItsOwnInterfaceRecord() throws IOException {
        PoolSource source = PoolSource.builder().host(PoolSource.Host.of("127.0.0.1")).device(Path.of(TARGET))
                .initiatorIqn("iqn.2026-01.org.libstorage.test:host1").build();
        backend.open(PoolDefinition.builder(PoolType.ISCSI, "san").source(source).build(),
                new BackendContext(dir, ref -> Optional.empty())).start();
        String iface = IscsiKernelDriver.Endpoint.ifaceName("iqn.2026-01.org.libstorage.test:host1");
        assertTrue(iface.matches("libstorage-[0-9a-f]{8}"), iface);
        List<String> argv = argv();
        assertEquals("--mode iface --interface " + iface + " --op new", argv.get(0));
        assertEquals("--mode iface --interface " + iface + " --op update --name iface.initiatorname"
                + " --value iqn.2026-01.org.libstorage.test:host1", argv.get(1));
        assertTrue(argv.getLast().endsWith("--interface " + iface + " --login"), argv::toString);
    }

    @Test
    void statusNamesWhatIsMissing() {
        IscsiKernelBackend bare = new IscsiKernelBackend(new IscsiKernelDriver.Settings(etc, dir.resolve("empty-sys"),
                dir.resolve("dev"), Duration.ZERO, OptionalInt.empty()),
                new Iscsiadm(CommandRunner.create(), dir.resolve("no-iscsiadm").toString()), List::of);
        assertFalse(bare.status().available());
        String reason = bare.status().reason().orElseThrow();
        assertTrue(reason.contains("iscsiadm is not installed (Debian package open-iscsi)"), reason);
        assertTrue(reason.contains("iscsi-direct"), reason);
        assertTrue(backend.status().available(), backend.status()::toString);
    }
}
