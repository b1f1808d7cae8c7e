package org.libstorage.backends.hostdevices;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel iSCSI initiator as sysfs shows it. A session is
 * {@code /sys/class/iscsi_session/sessionSID}, whose {@code device} is
 * {@code /sys/devices/platform/hostH/sessionSID}; under it {@code targetH:C:T/H:C:T:L} is a
 * LUN, and {@code H:C:T:L/block/sdX} its disk once the sd driver has bound it. The same path,
 * read upwards from a block device, tells which session and LUN a disk is, from which udev's
 * {@code /dev/disk/by-path} name ({@code ip-ADDRESS:PORT-iscsi-TARGET-lun-L}) follows, so it is
 * known on hosts without udev too.
 */
public final class IscsiSysfs {
    public static final Path SYSFS = Path.of("/sys");
    private static final Pattern HCTL = Pattern.compile("(\\d+):(\\d+):(\\d+):(\\d+)");
    private static final Pattern SESSION = Pattern.compile("session(\\d+)");

    private final Path sysfs;

    public IscsiSysfs(Path sysfs) {
        this.sysfs = sysfs;
    }

    /**
     * A SCSI device of a session.
     *
     * @param scsiType the SCSI peripheral device type (0 a disk, 12 a storage array controller, ...)
     * @param block    the kernel name of its block device, such as {@code sda}, once bound
     * @param wwid     the kernel's identifier from VPD page 0x83, such as {@code naa.6000...}
     * @param size     bytes, 0 without a block device
     */
    public record Lun(int host, int channel, int target, int lun, int scsiType, Optional<String> block,
                      Optional<String> wwid, long size) {
        public boolean isDisk() {
            return scsiType == 0 || scsiType == 0x0e;
        }
    }

    /** The kernel's state of the session ({@code LOGGED_IN}, {@code FAILED}, {@code FREE}), if it exists. */
    public Optional<String> sessionState(int sid) {
        return read(sessionClass(sid).resolve("state"));
    }

    /** The SCSI host number of the session, if it exists. */
    public OptionalInt host(int sid) {
        try {
            Path device = sessionClass(sid).resolve("device").toRealPath();
            Matcher host = Pattern.compile("host(\\d+)").matcher(device.getParent().getFileName().toString());
            return host.matches() ? OptionalInt.of(Integer.parseInt(host.group(1))) : OptionalInt.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /** The session's LUNs in LUN order, each with its block device when the kernel has made one. */
    public List<Lun> luns(int sid) {
        List<Lun> luns = new ArrayList<>();
        for (Path target : children(sessionClass(sid).resolve("device"))) {
            if (!target.getFileName().toString().startsWith("target")) {
                continue;
            }
            for (Path device : children(target)) {
                Matcher hctl = HCTL.matcher(device.getFileName().toString());
                if (!hctl.matches()) {
                    continue;
                }
                Optional<String> block = children(device.resolve("block")).stream()
                        .map(p -> p.getFileName().toString()).findFirst();
                long size = block.flatMap(name -> read(device.resolve("block").resolve(name).resolve("size")))
                        .map(IscsiSysfs::parseLong).orElse(0L) * 512;
                luns.add(new Lun(Integer.parseInt(hctl.group(1)), Integer.parseInt(hctl.group(2)),
                        Integer.parseInt(hctl.group(3)), Integer.parseInt(hctl.group(4)),
                        read(device.resolve("type")).map(IscsiSysfs::parseLong).orElse(-1L).intValue(), block,
                        read(device.resolve("wwid")), size));
            }
        }
        luns.sort((a, b) -> a.lun() != b.lun() ? Integer.compare(a.lun(), b.lun())
                : Integer.compare(a.target(), b.target()));
        return List.copyOf(luns);
    }

    /**
     * Asks the kernel to scan the session's SCSI host for LUNs the target added since login.
     * The write returns when the scan is done; the sd driver then binds disks on its own time.
     */
    public void rescan(int host) throws IOException {
        Files.writeString(sysfs.resolve("class/scsi_host/host" + host + "/scan"), "- - -", StandardCharsets.US_ASCII);
    }

    /**
     * udev's {@code ID_PATH} of a block device on an iSCSI session
     * ({@code ip-127.0.0.1:3260-iscsi-iqn.2026-01.com.example:disk-lun-1}, with {@code -partN} for
     * a partition), or empty when the device is not an iSCSI LUN.
     *
     * @param blockDirectory the device's directory under {@code /sys/block} (a partition's is inside its disk's)
     */
    public Optional<String> pathId(Path blockDirectory) {
        Path real;
        try {
            real = blockDirectory.toRealPath();
        } catch (IOException e) {
            return Optional.empty();
        }
        Optional<String> partition = Optional.empty();
        if (Files.exists(real.resolve("partition"))) {
            partition = read(real.resolve("partition")).map(n -> "-part" + n);
            real = real.getParent();
        }
        OptionalInt sid = OptionalInt.empty();
        OptionalInt lun = OptionalInt.empty();
        for (Path part : real) {
            String name = part.toString();
            Matcher session = SESSION.matcher(name);
            Matcher hctl = HCTL.matcher(name);
            if (session.matches()) {
                sid = OptionalInt.of(Integer.parseInt(session.group(1)));
            } else if (hctl.matches()) {
                lun = OptionalInt.of(Integer.parseInt(hctl.group(4)));
            }
        }
        if (sid.isEmpty() || lun.isEmpty()) {
            return Optional.empty();
        }
        Path connection = sysfs.resolve("class/iscsi_connection/connection" + sid.getAsInt() + ":0");
        Optional<String> target = read(sessionClass(sid.getAsInt()).resolve("targetname"));
        Optional<String> address = read(connection.resolve("persistent_address"));
        Optional<String> port = read(connection.resolve("persistent_port"));
        if (target.isEmpty() || address.isEmpty() || port.isEmpty()) {
            return Optional.empty();
        }
        String suffix = partition.orElse("");
        return Optional.of(pathId(address.get(), Integer.parseInt(port.get()), target.get(), lun.getAsInt()) + suffix);
    }

    /**
     * udev's {@code ID_PATH} of LUN {@code lun} of {@code target} at a portal, spelled as udev's
     * {@code path_id} spells it: the address as the kernel reports it (no brackets), LUNs from 256
     * up in the SAM flat form.
     */
    public static String pathId(String address, int port, String target, int lun) {
        String number = lun < 256 ? Integer.toString(lun)
                : String.format("0x%04x%04x00000000", lun & 0xffff, (lun >>> 16) & 0xffff);
        return "ip-" + address + ":" + port + "-iscsi-" + target + "-lun-" + number;
    }

    private Path sessionClass(int sid) {
        return sysfs.resolve("class/iscsi_session/session" + sid);
    }

    private static Optional<String> read(Path file) {
        try {
            String text = Files.readString(file).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static long parseLong(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<Path> children(Path dir) {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(children::add);
        } catch (IOException e) {
            return List.of();
        }
        children.sort((a, b) -> SysfsBlock.naturalCompare(a.getFileName().toString(), b.getFileName().toString()));
        return children;
    }
}
