package org.libstorage.xml;

import static org.libstorage.xml.XmlValues.invalid;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;

/**
 * What each pool type's part of libvirt's storagepool.rng allows and requires, checked on both
 * reading and writing so a definition this library accepts is one libvirt accepts too.
 */
record PoolTypeRules(PoolType type, Set<Part> allowed, Set<Part> required, Target target, List<String> formats) {

    /** The parts of a {@code <source>}, plus pool-level extras, that a type may carry. */
    enum Part {
        HOST("<host>"), DEVICE("<device>"), DEVICES("more than one <device>"), DIR("<dir>"), ADAPTER("<adapter>"),
        NAME("<name>"), FORMAT("<format>"), AUTH("<auth>"), VENDOR("<vendor>/<product>"),
        INITIATOR("<initiator>"), PROTOCOL("<protocol>"),
        COW("<features><cow>"), MOUNT_OPTS("<fs:mount_opts>"), CONFIG_OPTS("<rbd:config_opts>"),
        REFRESH("<refresh>");

        private final String element;

        Part(String element) {
            this.element = element;
        }
    }

    /** Whether the type has a {@code <target>} and whether its {@code <path>} is required. */
    enum Target { PATH_REQUIRED, OPTIONAL, NONE }

    private static final List<String> FS_FORMATS = List.of("auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf",
            "gfs", "gfs2", "vfat", "hfs+", "xfs", "ocfs2", "vmfs");
    private static final List<String> NETFS_FORMATS = List.of("auto", "nfs", "cifs", "glusterfs");
    private static final List<String> DISK_FORMATS = List.of("unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98",
            "sun", "lvm2");
    private static final List<String> LOGICAL_FORMATS = List.of("unknown", "lvm2");
    private static final Pattern DNS_NAME = Pattern.compile("[a-zA-Z0-9.\\-]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
    private static final Pattern WWN = Pattern.compile("(0x)?[0-9a-fA-F]{16}");
    private static final Set<String> WWN_ATTRIBUTES = Set.of("wwnn", "wwpn", "parent_wwnn", "parent_wwpn",
            "parent_fabric_wwn");
    private static final Set<String> ADAPTER_ATTRIBUTES = Set.of("name", "parent", "managed", "parent_wwnn",
            "parent_wwpn", "parent_fabric_wwn", "wwnn", "wwpn");

    static PoolTypeRules of(PoolType type) {
        return switch (type) {
            case DIR -> rules(type, parts(Part.VENDOR, Part.COW), parts(), Target.PATH_REQUIRED, List.of());
            case FS -> rules(type, parts(Part.DEVICE, Part.FORMAT, Part.VENDOR, Part.COW, Part.MOUNT_OPTS),
                    parts(Part.DEVICE), Target.PATH_REQUIRED, FS_FORMATS);
            case NETFS -> rules(type, parts(Part.HOST, Part.DIR, Part.FORMAT, Part.PROTOCOL, Part.VENDOR,
                    Part.MOUNT_OPTS), parts(Part.HOST, Part.DIR), Target.PATH_REQUIRED, NETFS_FORMATS);
            case LOGICAL -> rules(type, parts(Part.NAME, Part.DEVICE, Part.DEVICES, Part.FORMAT, Part.VENDOR),
                    parts(Part.NAME), Target.OPTIONAL, LOGICAL_FORMATS);
            case DISK -> rules(type, parts(Part.DEVICE, Part.FORMAT, Part.VENDOR),
                    parts(Part.DEVICE), Target.PATH_REQUIRED, DISK_FORMATS);
            case ISCSI -> rules(type, parts(Part.HOST, Part.DEVICE, Part.INITIATOR, Part.AUTH, Part.VENDOR),
                    parts(Part.HOST, Part.DEVICE), Target.PATH_REQUIRED, List.of());
            case ISCSI_DIRECT -> rules(type, parts(Part.HOST, Part.DEVICE, Part.INITIATOR, Part.AUTH),
                    parts(Part.HOST, Part.DEVICE, Part.INITIATOR), Target.NONE, List.of());
            case SCSI -> rules(type, parts(Part.ADAPTER, Part.VENDOR), parts(Part.ADAPTER), Target.PATH_REQUIRED,
                    List.of());
            case MPATH -> rules(type, parts(), parts(), Target.PATH_REQUIRED, List.of());
            case RBD -> rules(type, parts(Part.NAME, Part.HOST, Part.AUTH, Part.CONFIG_OPTS, Part.REFRESH),
                    parts(Part.NAME, Part.HOST), Target.NONE, List.of());
            case SHEEPDOG -> rules(type, parts(Part.HOST, Part.NAME), parts(Part.HOST, Part.NAME), Target.NONE,
                    List.of());
            case GLUSTER -> rules(type, parts(Part.HOST, Part.NAME, Part.DIR), parts(Part.HOST, Part.NAME),
                    Target.NONE, List.of());
            case ZFS -> rules(type, parts(Part.NAME, Part.DEVICE, Part.DEVICES), parts(Part.NAME), Target.OPTIONAL, List.of());
            case VSTORAGE -> rules(type, parts(Part.NAME), parts(Part.NAME), Target.PATH_REQUIRED, List.of());
        };
    }

    private static PoolTypeRules rules(PoolType type, Set<Part> allowed, Set<Part> required, Target target,
                                       List<String> formats) {
        return new PoolTypeRules(type, allowed, required, target, formats);
    }

    private static Set<Part> parts(Part... parts) {
        return parts.length == 0 ? EnumSet.noneOf(Part.class) : EnumSet.copyOf(Arrays.asList(parts));
    }

    static String knownTypes() {
        return Arrays.stream(PoolType.values()).map(PoolType::xmlName).collect(Collectors.joining(", "));
    }

    /** Types whose pools libvirt names after their source when {@code <name>} is missing. */
    boolean sourceName() {
        return allowed.contains(Part.NAME);
    }

    /** Refuses a definition this type's schema cannot express, naming the first offending part. */
    void check(PoolDefinition definition) {
        PoolSource s = definition.source();
        present(Part.HOST, !s.hosts().isEmpty());
        present(Part.DEVICE, !s.devices().isEmpty());
        if (s.devices().size() > 1) {
            present(Part.DEVICES, true);
        }
        if (type == PoolType.ISCSI_DIRECT && s.devices().stream()
                .anyMatch(d -> !d.freeExtents().isEmpty() || d.partSeparator().isPresent())) {
            throw invalid("The <device> of a pool of type 'iscsi-direct' names a target IQN and has no extents or part_separator.");
        }
        present(Part.DIR, s.dir().isPresent());
        present(Part.ADAPTER, s.adapter().isPresent());
        present(Part.NAME, s.name().isPresent());
        present(Part.FORMAT, s.format().isPresent());
        present(Part.AUTH, s.auth().isPresent());
        present(Part.VENDOR, s.vendor().isPresent() || s.product().isPresent());
        present(Part.INITIATOR, s.initiatorIqn().isPresent());
        present(Part.PROTOCOL, s.protocolVersion().isPresent());
        present(Part.COW, definition.copyOnWrite().isPresent());
        present(Part.MOUNT_OPTS, !definition.mountOptions().isEmpty());
        present(Part.CONFIG_OPTS, !definition.configOptions().isEmpty());
        present(Part.REFRESH, definition.refreshAllocation().isPresent());

        s.format().ifPresent(f -> {
            if (!formats.contains(f)) {
                throw invalid("The source format '" + f + "' is not valid for a pool of type '" + type + "'; use one of "
                        + String.join(", ", formats) + ".");
            }
        });
        s.adapter().ifPresent(PoolTypeRules::checkAdapter);
        s.hosts().forEach(h -> {
            if (!DNS_NAME.matcher(h.name()).matches() && !IPV6.matcher(h.name()).matches()) {
                throw invalid("The source host name '" + h.name() + "' is neither a DNS name nor an IP address.");
            }
        });
        s.protocolVersion().ifPresent(v -> {
            if (!v.matches("[0-9]{1,9}(\\.[0-9]{1,9})?")) {
                throw invalid("The source protocol version '" + v + "' is not a version number such as 3, 4 or 4.1.");
            }
        });
        boolean relativeDirAllowed = type == PoolType.NETFS
                && s.format().filter(f -> f.equals("cifs") || f.equals("glusterfs")).isPresent();
        s.dir().ifPresent(d -> {
            if (!relativeDirAllowed && !d.isAbsolute()) {
                throw invalid("The source dir '" + d + "' of a pool of type '" + type + "' is not absolute.");
            }
        });
        if (relativeDirAllowed && s.protocolVersion().isPresent()) {
            throw invalid("A pool of type 'netfs' with format '" + s.format().get()
                    + "' cannot have a <protocol> version; only NFS mounts take one.");
        }
        switch (target) {
            case NONE -> definition.target().ifPresent(t -> {
                throw invalid(aPool() + " has no <target>; its volumes are reached over the network.");
            });
            case PATH_REQUIRED -> {
                if (definition.targetPath().isEmpty()) {
                    throw invalid(aPool() + " needs a <target><path>.");
                }
            }
            case OPTIONAL -> {
            }
        }
        definition.targetPath().ifPresent(p -> {
            if (!p.isAbsolute()) {
                throw invalid("The target path '" + p + "' of pool '" + definition.name() + "' is not absolute.");
            }
        });
    }

    private String aPool() {
        return "A pool of type '" + type + "'";
    }

    private void present(Part part, boolean present) {
        if (present && !allowed.contains(part)) {
            throw invalid(aPool() + " cannot have " + part.element + " in its definition.");
        }
        if (!present && required.contains(part)) {
            throw invalid(aPool() + " needs " + (part == Part.NAME ? "a source <name>" : part.element)
                    + " in its <source>.");
        }
    }

    private static void checkAdapter(PoolSource.Adapter adapter) {
        for (PoolDefinition.NameValue attribute : adapter.attributes()) {
            if (!ADAPTER_ATTRIBUTES.contains(attribute.name())) {
                throw invalid("The <adapter> attribute '" + attribute.name() + "' is not one of "
                        + ADAPTER_ATTRIBUTES.stream().sorted().collect(Collectors.joining(", ")) + ".");
            }
        }
        for (PoolDefinition.NameValue attribute : adapter.attributes()) {
            if (WWN_ATTRIBUTES.contains(attribute.name()) && !WWN.matcher(attribute.value()).matches()) {
                throw invalid("The <adapter> attribute " + attribute.name() + "='" + attribute.value()
                        + "' is not a world wide name of 16 hexadecimal digits.");
            }
            if (attribute.name().equals("managed") && !attribute.value().equals("yes")
                    && !attribute.value().equals("no")) {
                throw invalid("The <adapter> attribute managed='" + attribute.value() + "' is neither 'yes' nor 'no'.");
            }
        }
        adapter.parentAddress().ifPresent(PoolTypeRules::checkParentAddress);
        String type = adapter.type().orElse("scsi_host");
        boolean named = adapter.attributes().stream().anyMatch(a -> a.name().equals("name"));
        if (type.equals("scsi_host") && named == adapter.parentAddress().isPresent()) {
            throw invalid("A scsi_host <adapter> needs exactly one of a 'name' attribute and a <parentaddr>.");
        }
        if (type.equals("fc_host")) {
            boolean wwnn = adapter.attributes().stream().anyMatch(a -> a.name().equals("wwnn"));
            boolean wwpn = adapter.attributes().stream().anyMatch(a -> a.name().equals("wwpn"));
            if (!wwnn || !wwpn || adapter.parentAddress().isPresent()) {
                throw invalid("An fc_host <adapter> needs 'wwnn' and 'wwpn' attributes and no <parentaddr>.");
            }
        }
    }

    private static void checkParentAddress(PoolSource.ParentAddress address) {
        address.uniqueId().ifPresent(id -> {
            if (!id.matches("[0-9]{1,9}") || Integer.parseInt(id) == 0) {
                throw invalid("The <parentaddr> unique_id '" + id + "' is not a positive number.");
            }
        });
        pciField("domain", address.domain(), "(0x)?[0-9a-fA-F]{1,8}|[0-9]{1,10}", 0xFFFF_FFFFL);
        pciField("bus", address.bus(), "0x[0-9a-fA-F]{1,2}|[0-9]{1,3}", 255);
        pciField("slot", address.slot(), "(0x)?[0-1]?[0-9a-fA-F]|[0-9]{1,2}", 31);
        pciField("function", address.function(), "(0x)?[0-7]|[0-9]", 7);
    }

    private static void pciField(String name, String value, String pattern, long max) {
        boolean ok = value.matches(pattern);
        if (ok && !value.startsWith("0x") && value.matches("[0-9]+")) {
            // Plain decimal values have a range; hex patterns bound themselves by their digit count.
            ok = Long.parseLong(value) <= max;
        }
        if (!ok) {
            throw invalid("The PCI address " + name + "='" + value + "' of <parentaddr> is not a valid " + name + ".");
        }
    }
}
