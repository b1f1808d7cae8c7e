package org.libstorage.xml;

import static org.libstorage.xml.XmlValues.invalid;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.libstorage.Permissions;
import org.libstorage.ErrorCode;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolInfo;
import org.libstorage.PoolSource;
import org.libstorage.PoolTarget;
import org.libstorage.PoolType;
import org.libstorage.StorageException;

/**
 * libvirt {@code <pool>} XML: reads and writes every pool type libvirt defines, in libvirt's
 * element order, so that definitions move between libvirt and this library unchanged. What a
 * pool type's schema does not allow (a {@code <host>} in a dir pool, a target on an rbd pool)
 * is refused on reading and on writing rather than silently dropped.
 */
public final class PoolXml {
    /** The namespace of {@code <fs:mount_opts>}, for fs and netfs pools. */
    public static final String FS_NAMESPACE = "http://libvirt.org/schemas/storagepool/fs/1.0";
    /** The namespace of {@code <rbd:config_opts>}, for rbd pools. */
    public static final String RBD_NAMESPACE = "http://libvirt.org/schemas/storagepool/rbd/1.0";

    private PoolXml() {
    }

    /**
     * Parses a {@code <pool>} document; refuses DTDs and external entities.
     *
     * @throws org.libstorage.StorageException {@code INVALID_DEFINITION} naming the element or
     *         attribute at fault (and its line), or {@code INVALID_ARGUMENT} for an invalid name
     */
    public static PoolDefinition parse(String xml) {
        XmlElement root = SecureXml.parse(xml, "pool XML");
        if (!root.name().equals("pool")) {
            throw invalid("The pool XML's root element is " + root.where() + ", not <pool>.");
        }
        if (!root.namespace().isEmpty()) {
            throw invalid("The pool XML's root element " + root.where() + " is in the namespace '" + root.namespace()
                    + "', but libvirt's <pool> has none.");
        }
        String typeName = root.attribute("type").orElseThrow(() ->
                invalid("The element " + root.where() + " lacks its required attribute 'type'."));
        PoolType type = PoolType.fromXmlName(typeName).orElseThrow(() ->
                invalid("The pool type '" + typeName + "' of " + root.where() + " is not one of "
                        + PoolTypeRules.knownTypes() + "."));
        PoolTypeRules rules = PoolTypeRules.of(type);

        PoolSource source = root.child("source").map(PoolXml::source).orElse(PoolSource.EMPTY);
        source = withLibvirtDefaults(type, source);
        // Names are taken as written (libvirt does not trim them either); Names refuses outer blanks.
        Optional<String> name = root.child("name").map(XmlElement::text).filter(s -> !s.isBlank());
        if (name.isEmpty() && rules.sourceName()) {
            // As libvirt does: pools named after their source (a VG, a zpool, an RBD pool) may omit <name>.
            name = source.name();
        }
        if (name.isEmpty()) {
            throw invalid("The pool XML has no <name> element" + (rules.sourceName()
                    ? " and no source <name> to take it from." : "."));
        }
        if (rules.sourceName() && source.name().isEmpty()) {
            // ... and the source name defaults to the pool name.
            source = source.toBuilder().name(name.get()).build();
        }
        PoolDefinition.Builder builder = PoolDefinition.builder(type, name.get()).source(source);
        root.child("uuid").ifPresent(u -> builder.uuid(XmlValues.uuid(u)));
        for (String sizing : List.of("capacity", "allocation", "available")) {
            // Reported values, not part of a definition; still refused when malformed.
            root.child(sizing).ifPresent(XmlValues::size);
        }
        root.child("features").flatMap(f -> f.child("cow")).ifPresent(cow -> builder.copyOnWrite(
                XmlValues.yesNo(cow, "state").orElseThrow(() ->
                        invalid("The element " + cow.where() + " lacks its required attribute 'state'."))));
        Optional<PoolTarget> target = root.child("target").map(PoolXml::target);
        if (type == PoolType.LOGICAL && target.flatMap(PoolTarget::path).isEmpty()) {
            // As libvirt does: a volume group's volumes always appear under /dev/VG, also when
            // the source names a thin pool in it (VG/THINPOOL).
            String vg = source.name().orElseThrow().split("/", 2)[0];
            target = Optional.of(new PoolTarget(Optional.of(Path.of("/dev", vg)),
                    target.flatMap(PoolTarget::permissions)));
        }
        if (type == PoolType.ZFS && target.flatMap(PoolTarget::path).isEmpty()) {
            // As libvirt does: a zpool's volumes (zvols) appear under /dev/zvol/POOL.
            target = Optional.of(new PoolTarget(Optional.of(Path.of("/dev/zvol").resolve(source.name().orElseThrow())),
                    target.flatMap(PoolTarget::permissions)));
        }
        target.ifPresent(builder::target);
        root.child("refresh").flatMap(r -> r.child("volume")).ifPresent(v -> v.attribute("allocation").ifPresent(a ->
                builder.refreshAllocation(Arrays.stream(PoolDefinition.RefreshAllocation.values())
                        .filter(r -> r.xmlName().equals(a)).findFirst()
                        .orElseThrow(() -> invalid("The attribute allocation='" + a + "' of " + v.where()
                                + " is neither 'default' nor 'capacity'.")))));
        root.child(FS_NAMESPACE, "mount_opts").ifPresent(opts -> opts.children().stream()
                .filter(o -> o.namespace().equals(FS_NAMESPACE) && o.name().equals("option"))
                .forEach(o -> builder.mountOption(XmlValues.required(o, "name"))));
        root.child(RBD_NAMESPACE, "config_opts").ifPresent(opts -> opts.children().stream()
                .filter(o -> o.namespace().equals(RBD_NAMESPACE) && o.name().equals("option"))
                .forEach(o -> builder.configOption(XmlValues.required(o, "name"), XmlValues.required(o, "value"))));
        PoolDefinition definition = builder.build();
        rules.check(definition);
        return definition;
    }

    /** Writes a {@code <pool>} document, with capacity/allocation/available when {@code info} is given. */
    public static String write(PoolDefinition definition, Optional<PoolInfo> info) {
        PoolTypeRules rules = PoolTypeRules.of(definition.type());
        rules.check(definition);
        XmlWriter out = new XmlWriter();
        // Like libvirt, declare a namespace only when the document uses it.
        out.start("pool", "type", definition.type().xmlName(),
                "xmlns:fs", definition.mountOptions().isEmpty() ? null : FS_NAMESPACE,
                "xmlns:rbd", definition.configOptions().isEmpty() ? null : RBD_NAMESPACE);
        out.text("name", definition.name());
        definition.uuid().ifPresent(u -> out.text("uuid", u.toString()));
        info.ifPresent(i -> {
            out.text("capacity", bytes(i.capacity(), "capacity"), "unit", "bytes");
            out.text("allocation", bytes(i.allocation(), "allocation"), "unit", "bytes");
            out.text("available", bytes(i.available(), "available"), "unit", "bytes");
        });
        definition.copyOnWrite().ifPresent(cow -> out.start("features")
                .empty("cow", "state", XmlValues.yesNo(cow))
                .end("features"));
        writeSource(out, definition.source());
        Optional<PoolTarget> target = definition.target();
        if (target.isEmpty() && definition.type() == PoolType.LOGICAL) {
            // storagepool.rng requires a (possibly empty) <target> for logical pools.
            target = Optional.of(new PoolTarget(Optional.empty(), Optional.empty()));
        }
        target.ifPresent(t -> {
            out.start("target");
            t.path().ifPresent(p -> out.text("path", p.toString()));
            t.permissions().ifPresent(p -> XmlValues.writePermissions(out, p));
            out.end("target");
        });
        definition.refreshAllocation().ifPresent(r -> out.start("refresh")
                .empty("volume", "allocation", r.xmlName())
                .end("refresh"));
        if (!definition.mountOptions().isEmpty()) {
            out.start("fs:mount_opts");
            definition.mountOptions().forEach(o -> out.empty("fs:option", "name", o));
            out.end("fs:mount_opts");
        }
        if (!definition.configOptions().isEmpty()) {
            out.start("rbd:config_opts");
            definition.configOptions().forEach(o -> out.empty("rbd:option", "name", o.name(), "value", o.value()));
            out.end("rbd:config_opts");
        }
        out.end("pool");
        return out.toString();
    }

    /** Writes a {@code <sources>} document, as find-pool-sources prints it. */
    public static String writeSources(List<PoolSource> sources) {
        XmlWriter out = new XmlWriter();
        if (sources.isEmpty()) {
            out.empty("sources");
        } else {
            out.start("sources");
            sources.forEach(s -> writeSource(out, s));
            out.end("sources");
        }
        return out.toString();
    }

    private static String bytes(long value, String what) {
        if (value < 0) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, null,
                    "The pool " + what + " " + value + " is negative.");
        }
        return Long.toString(value);
    }

    // ---- reading ----

    /**
     * What libvirt's parser fills in for a source that leaves it out, so that a definition means
     * the same here as there and is written as libvirt writes it: the format of the pool types
     * that have one (lvm2 for a volume group, auto for a filesystem or network filesystem to be
     * probed, unknown for a partition table to be probed), and the root directory of a gluster
     * volume. Drivers treat "auto" and "unknown" as "probe".
     */
    private static PoolSource withLibvirtDefaults(PoolType type, PoolSource source) {
        Optional<String> format = switch (type) {
            case LOGICAL -> Optional.of("lvm2");
            case FS, NETFS -> Optional.of("auto");
            case DISK -> Optional.of("unknown");
            default -> Optional.empty();
        };
        PoolSource.Builder b = source.toBuilder();
        boolean changed = false;
        if (source.format().isEmpty() && format.isPresent()) {
            b.format(format.get());
            changed = true;
        }
        if (type == PoolType.GLUSTER && source.dir().isEmpty()) {
            b.dir(Path.of("/"));
            changed = true;
        }
        return changed ? b.build() : source;
    }

    private static PoolSource source(XmlElement element) {
        PoolSource.Builder b = PoolSource.builder();
        element.children("host").forEach(h -> b.host(host(h)));
        element.children("device").forEach(d -> b.device(device(d)));
        element.child("dir").ifPresent(d -> b.dir(path(d, XmlValues.required(d, "path"), "path")));
        element.child("adapter").ifPresent(a -> b.adapter(adapter(a)));
        element.child("name").ifPresent(n -> b.name(XmlValues.requiredText(n)));
        element.child("format").ifPresent(f -> {
            b.format(XmlValues.required(f, "type"));
            // The schema lets disk and logical sources carry vendor/product inside <format>.
            f.child("vendor").ifPresent(v -> b.vendor(XmlValues.required(v, "name")));
            f.child("product").ifPresent(p -> b.product(XmlValues.required(p, "name")));
        });
        element.child("auth").ifPresent(a -> b.auth(auth(a)));
        element.child("vendor").ifPresent(v -> b.vendor(XmlValues.required(v, "name")));
        element.child("product").ifPresent(p -> b.product(XmlValues.required(p, "name")));
        element.child("initiator").ifPresent(i -> {
            XmlElement iqn = i.child("iqn").orElseThrow(() ->
                    invalid("The element " + i.where() + " lacks its <iqn name='...'/> child."));
            b.initiatorIqn(XmlValues.required(iqn, "name"));
        });
        element.child("protocol").ifPresent(p -> {
            String ver = XmlValues.required(p, "ver").strip();
            // A version has a minor part (NFS 4.1, 4.2), as libvirt's schema allows.
            if (!ver.matches("[0-9]{1,9}(\\.[0-9]{1,9})?")) {
                throw invalid("The protocol version ver='" + ver + "' of " + p.where()
                        + " is not a version number such as 3, 4 or 4.1.");
            }
            b.protocolVersion(ver);
        });
        return b.build();
    }

    private static PoolSource.Host host(XmlElement element) {
        String name = XmlValues.required(element, "name").strip();
        if (name.isEmpty()) {
            throw invalid("The element " + element.where() + " has an empty 'name' attribute.");
        }
        Optional<String> portText = element.attribute("port").map(String::strip);
        OptionalInt port = OptionalInt.empty();
        if (portText.isPresent()) {
            String p = portText.get();
            if (!p.matches("[0-9]{1,5}") || Integer.parseInt(p) < 1 || Integer.parseInt(p) > 65535) {
                throw invalid("The port '" + p + "' of " + element.where() + " is not between 1 and 65535.");
            }
            port = OptionalInt.of(Integer.parseInt(p));
        }
        return new PoolSource.Host(name, port);
    }

    private static PoolSource.Device device(XmlElement element) {
        Path path = path(element, XmlValues.required(element, "path"), "path");
        List<PoolSource.Extent> extents = new ArrayList<>();
        element.children("freeExtent").forEach(e -> extents.add(extent(e)));
        return new PoolSource.Device(path, XmlValues.yesNo(element, "part_separator"), extents);
    }

    static PoolSource.Extent extent(XmlElement element) {
        long start = XmlValues.unsignedLong(element, "start");
        long end = XmlValues.unsignedLong(element, "end");
        if (end < start) {
            throw invalid("The extent " + element.where() + " ends (" + end + ") before it starts (" + start + ").");
        }
        return new PoolSource.Extent(start, end);
    }

    private static PoolSource.Adapter adapter(XmlElement element) {
        Optional<String> type = element.attribute("type");
        type.ifPresent(t -> {
            if (!t.equals("scsi_host") && !t.equals("fc_host")) {
                throw invalid("The adapter type '" + t + "' of " + element.where()
                        + " is neither 'scsi_host' nor 'fc_host'.");
            }
        });
        List<PoolDefinition.NameValue> attributes = new ArrayList<>();
        element.attributes().forEach((k, v) -> {
            if (!k.equals("type")) {
                attributes.add(new PoolDefinition.NameValue(k, v));
            }
        });
        Optional<PoolSource.ParentAddress> parent = element.child("parentaddr").map(p -> {
            XmlElement address = p.child("address").orElseThrow(() ->
                    invalid("The element " + p.where() + " lacks its <address> child."));
            return new PoolSource.ParentAddress(p.attribute("unique_id"),
                    address.attribute("domain").orElse("0x0000"), address.attribute("bus").orElse("0x00"),
                    address.attribute("slot").orElse("0x00"), address.attribute("function").orElse("0x0"));
        });
        return new PoolSource.Adapter(type, attributes, parent);
    }

    private static PoolSource.Auth auth(XmlElement element) {
        String type = XmlValues.required(element, "type");
        if (!type.equals("chap") && !type.equals("ceph")) {
            throw invalid("The auth type '" + type + "' of " + element.where() + " is neither 'chap' nor 'ceph'.");
        }
        if (element.attribute("passwd").isPresent()) {
            // Secrets never live in definitions; say so rather than drop it quietly.
            throw invalid("The element " + element.where() + " carries a password; refer to a secret with"
                    + " <secret usage='...'/> or <secret uuid='...'/> instead.");
        }
        String username = element.attribute("username").or(() -> element.attribute("login")).orElseThrow(() ->
                invalid("The element " + element.where() + " lacks its required attribute 'username'."));
        XmlElement secret = element.child("secret").orElseThrow(() ->
                invalid("The element " + element.where() + " lacks its <secret usage='...'/> child."));
        Optional<String> usage = secret.attribute("usage");
        boolean hasUuid = secret.attribute("uuid").isPresent();
        if (usage.isPresent() == hasUuid) {
            throw invalid("The element " + secret.where() + " needs exactly one of the attributes 'usage' and 'uuid'.");
        }
        PoolSource.SecretRef ref = usage.isPresent() ? PoolSource.SecretRef.ofUsage(usage.get())
                : PoolSource.SecretRef.ofUuid(XmlValues.uuidAttribute(secret, "uuid"));
        return new PoolSource.Auth(type, username, ref);
    }

    private static PoolTarget target(XmlElement element) {
        Optional<Path> path = element.child("path").map(p -> path(p, XmlValues.requiredText(p), null));
        return new PoolTarget(path, XmlValues.permissions(element.child("permissions")));
    }

    static Path path(XmlElement element, String value, String attribute) {
        String what = attribute == null ? "The path '" + value + "' in " + element.where()
                : "The attribute " + attribute + "='" + value + "' of " + element.where();
        if (value.isEmpty()) {
            throw invalid((attribute == null ? "The element " + element.where() + " has an empty path."
                    : what + " is empty."));
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw invalid(what + " is not a valid path: " + e.getReason() + ".");
        }
    }

    // ---- writing ----

    private static void writeSource(XmlWriter out, PoolSource source) {
        if (source.equals(PoolSource.EMPTY)) {
            out.empty("source");
            return;
        }
        out.start("source");
        source.hosts().forEach(h -> out.empty("host", "name", h.name(),
                "port", h.port().isPresent() ? Integer.toString(h.port().getAsInt()) : null));
        for (PoolSource.Device d : source.devices()) {
            String separator = d.partSeparator().map(XmlValues::yesNo).orElse(null);
            if (d.freeExtents().isEmpty()) {
                out.empty("device", "path", d.path().toString(), "part_separator", separator);
            } else {
                out.start("device", "path", d.path().toString(), "part_separator", separator);
                d.freeExtents().forEach(e -> out.empty("freeExtent",
                        "start", Long.toString(e.start()), "end", Long.toString(e.end())));
                out.end("device");
            }
        }
        source.dir().ifPresent(d -> out.empty("dir", "path", d.toString()));
        source.adapter().ifPresent(a -> writeAdapter(out, a));
        source.name().ifPresent(n -> out.text("name", n));
        source.initiatorIqn().ifPresent(iqn -> out.start("initiator").empty("iqn", "name", iqn).end("initiator"));
        source.format().ifPresent(f -> out.empty("format", "type", f));
        source.auth().ifPresent(a -> out.start("auth", "type", a.type(), "username", a.username())
                .empty("secret", "usage", a.secret().usage().orElse(null),
                        "uuid", a.secret().uuid().map(Object::toString).orElse(null))
                .end("auth"));
        source.protocolVersion().ifPresent(v -> out.empty("protocol", "ver", v));
        source.vendor().ifPresent(v -> out.empty("vendor", "name", v));
        source.product().ifPresent(p -> out.empty("product", "name", p));
        out.end("source");
    }

    private static void writeAdapter(XmlWriter out, PoolSource.Adapter adapter) {
        List<String> attributes = new ArrayList<>();
        adapter.type().ifPresent(t -> {
            attributes.add("type");
            attributes.add(t);
        });
        adapter.attributes().forEach(nv -> {
            attributes.add(nv.name());
            attributes.add(nv.value());
        });
        String[] attrs = attributes.toArray(String[]::new);
        if (adapter.parentAddress().isEmpty()) {
            out.empty("adapter", attrs);
            return;
        }
        PoolSource.ParentAddress p = adapter.parentAddress().get();
        out.start("adapter", attrs)
                .start("parentaddr", "unique_id", p.uniqueId().orElse(null))
                .empty("address", "domain", p.domain(), "bus", p.bus(), "slot", p.slot(), "function", p.function())
                .end("parentaddr")
                .end("adapter");
    }
}
