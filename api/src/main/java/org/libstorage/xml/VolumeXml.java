package org.libstorage.xml;

import static org.libstorage.xml.XmlValues.invalid;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.libstorage.Permissions;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeDefinition.BackingStore;
import org.libstorage.VolumeDefinition.Encryption;
import org.libstorage.VolumeDefinition.SourceExtents;
import org.libstorage.VolumeDefinition.Timestamps;
import org.libstorage.VolumeDefinition.VolumeTarget;
import org.libstorage.VolumeFormat;
import org.libstorage.VolumeType;

/**
 * libvirt {@code <volume>} XML. Sizes are written in bytes ({@code unit='bytes'}), timestamps in
 * libvirt's {@code seconds.nanoseconds} form, elements in libvirt's order.
 */
public final class VolumeXml {
    private static final java.util.regex.Pattern URL = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");
    /** The qcow2 features libvirt knows in {@code <target><features>}. */
    private static final List<String> FEATURES = List.of("lazy_refcounts", "extended_l2");
    private static final List<String> ENCRYPTION_FORMATS = List.of("default", "qcow", "luks", "luks2");

    private VolumeXml() {
    }

    /**
     * Parses a {@code <volume>} document; refuses DTDs and external entities.
     *
     * @throws org.libstorage.StorageException {@code INVALID_DEFINITION} naming the element or
     *         attribute at fault (and its line), or {@code INVALID_ARGUMENT} for an invalid name
     */
    public static VolumeDefinition parse(String xml) {
        XmlElement root = SecureXml.parse(xml, "volume XML");
        if (!root.name().equals("volume")) {
            throw invalid("The volume XML's root element is " + root.where() + ", not <volume>.");
        }
        if (!root.namespace().isEmpty()) {
            throw invalid("The volume XML's root element " + root.where() + " is in the namespace '" + root.namespace()
                    + "', but libvirt's <volume> has none.");
        }
        String name = root.child("name").map(XmlElement::text).filter(s -> !s.isBlank())
                .orElseThrow(() -> invalid("The volume XML has no <name> element."));
        // No <capacity> is libvirt's form for a clone (vol-create-from) or a volume sized by its
        // backing store: capacity 0, "take it from the source"; creating from nothing refuses it.
        long capacity = root.child("capacity").map(XmlValues::size).orElse(0L);
        VolumeDefinition.Builder b = VolumeDefinition.builder(name, capacity);
        root.attribute("type").ifPresent(t -> b.type(volumeType(t, root)));
        root.child("key").map(XmlElement::trimmedText).filter(s -> !s.isEmpty()).ifPresent(b::key);
        root.child("allocation").ifPresent(a -> b.allocation(XmlValues.size(a)));
        root.child("physical").ifPresent(p -> b.physical(XmlValues.size(p)));
        root.child("source").ifPresent(s -> s.children("device").forEach(d -> b.extents(extents(d))));
        root.child("target").ifPresent(t -> b.target(target(t)));
        root.child("backingStore").ifPresent(bs -> b.backingStore(backingStore(bs)));
        VolumeDefinition definition = b.build();
        check(definition);
        return definition;
    }

    /**
     * Writes a {@code <volume>} document.
     *
     * @throws org.libstorage.StorageException {@code INVALID_DEFINITION} when the definition holds
     *         what libvirt's storagevol.rng cannot express (a relative backing path, say)
     */
    public static String write(VolumeDefinition definition) {
        return write(definition, Optional.empty());
    }

    /**
     * Writes a {@code <volume>} document as libvirt writes a volume of a pool of this type, with
     * the defaults libvirt's reader fills in: the type {@code file} when none is known, and the
     * format the pool type implies ({@code raw} for file-based pools, {@code none} for
     * partitions; no {@code <format>} at all for LVM, iSCSI, SCSI, multipath, ZFS and sheepdog
     * volumes, which have none). {@link #write(VolumeDefinition)} writes exactly the definition.
     *
     * @throws org.libstorage.StorageException {@code INVALID_DEFINITION} as {@link #write(VolumeDefinition)}
     */
    public static String write(VolumeDefinition definition, PoolType pool) {
        return write(definition, Optional.of(pool));
    }

    /** The format libvirt means when a volume of a pool of this type names none; empty: volumes there have none. */
    static Optional<VolumeFormat> defaultFormat(PoolType pool) {
        return switch (pool) {
            case DIR, FS, NETFS, GLUSTER, RBD, VSTORAGE -> Optional.of(VolumeFormat.RAW);
            case DISK -> Optional.of(new VolumeFormat("none"));
            case LOGICAL, ISCSI, ISCSI_DIRECT, SCSI, MPATH, SHEEPDOG, ZFS -> Optional.empty();
        };
    }

    private static String write(VolumeDefinition definition, Optional<PoolType> pool) {
        check(definition);
        XmlWriter out = new XmlWriter();
        // For a pool, as libvirt: the type is "file" until the pool says otherwise, always written.
        Optional<VolumeType> type = pool.isEmpty() ? definition.type() : definition.type().or(() -> Optional.of(VolumeType.FILE));
        out.start("volume", "type", type.map(VolumeType::xmlName).orElse(null));
        out.text("name", definition.name());
        definition.key().ifPresent(k -> out.text("key", k));
        if (!definition.extents().isEmpty()) {
            out.start("source");
            for (SourceExtents device : definition.extents()) {
                if (device.extents().isEmpty()) {
                    out.empty("device", "path", device.device().toString());
                    continue;
                }
                out.start("device", "path", device.device().toString());
                device.extents().forEach(e -> out.empty("extent",
                        "start", Long.toString(e.start()), "end", Long.toString(e.end())));
                out.end("device");
            }
            out.end("source");
        }
        out.text("capacity", Long.toString(definition.capacity()), "unit", "bytes");
        definition.allocation().ifPresent(a -> out.text("allocation", Long.toString(a), "unit", "bytes"));
        definition.physical().ifPresent(p -> out.text("physical", Long.toString(p), "unit", "bytes"));
        writeTarget(out, definition.target(), pool);
        definition.backingStore().ifPresent(bs -> {
            out.start("backingStore");
            out.text("path", bs.path().toString());
            format(bs.format(), pool).ifPresent(f -> out.empty("format", "type", f.name()));
            bs.permissions().ifPresent(p -> XmlValues.writePermissions(out, p));
            out.end("backingStore");
        });
        out.end("volume");
        return out.toString();
    }

    /** Refuses what storagevol.rng would, on reading and on writing alike. */
    private static void check(VolumeDefinition definition) {
        for (SourceExtents device : definition.extents()) {
            if (!device.device().isAbsolute()) {
                throw invalid("The source device '" + device.device() + "' of volume '" + definition.name()
                        + "' is not an absolute path.");
            }
        }
        definition.backingStore().ifPresent(bs -> {
            if (!bs.path().isAbsolute()) {
                throw invalid("The backing store '" + bs.path() + "' of volume '" + definition.name()
                        + "' is not an absolute path.");
            }
        });
        VolumeTarget target = definition.target();
        target.compat().ifPresent(c -> {
            if (!c.matches("[0-9]+\\.[0-9]+")) {
                throw invalid("The compat level '" + c + "' of volume '" + definition.name() + "' is not of the form 1.1.");
            }
        });
        for (String f : target.features()) {
            if (!FEATURES.contains(f)) {
                throw invalid("The volume feature '" + f + "' is not one of " + String.join(", ", FEATURES) + ".");
            }
        }
        target.encryption().ifPresent(e -> {
            if (!ENCRYPTION_FORMATS.contains(e.format())) {
                throw invalid("The encryption format '" + e.format() + "' is not one of "
                        + String.join(", ", ENCRYPTION_FORMATS) + ".");
            }
            e.engine().ifPresent(engine -> {
                if (!engine.equals("qemu") && !engine.equals("librbd")) {
                    throw invalid("The encryption engine '" + engine + "' is neither 'qemu' nor 'librbd'.");
                }
            });
            checkEncryption(e);
        });
    }

    // ---- reading ----

    private static VolumeType volumeType(String name, XmlElement root) {
        return Arrays.stream(VolumeType.values()).filter(t -> t.xmlName().equals(name)).findFirst()
                .orElseThrow(() -> invalid("The volume type '" + name + "' of " + root.where() + " is not one of "
                        + Arrays.stream(VolumeType.values()).map(VolumeType::xmlName)
                        .collect(Collectors.joining(", ")) + "."));
    }

    private static SourceExtents extents(XmlElement device) {
        Path path = PoolXml.path(device, XmlValues.required(device, "path"), "path");
        List<PoolSource.Extent> extents = new ArrayList<>();
        device.children("extent").forEach(e -> extents.add(PoolXml.extent(e)));
        return new SourceExtents(path, extents);
    }

    private static VolumeTarget target(XmlElement element) {
        Optional<String> pathText = element.child("path").map(XmlValues::requiredText);
        Optional<Path> path = element.child("path").map(p -> PoolXml.path(p, XmlValues.requiredText(p), null));
        // A URL is not a file path: Path would fold gluster://host/... into gluster:/host/...
        Optional<String> url = pathText.filter(t -> URL.matcher(t).lookingAt());
        Optional<VolumeFormat> format = element.child("format").map(VolumeXml::format);
        Optional<Permissions> permissions = XmlValues.permissions(element.child("permissions"));
        Optional<Timestamps> timestamps = element.child("timestamps").map(t -> new Timestamps(
                time(t, "atime"), time(t, "mtime"), time(t, "ctime"), time(t, "btime")))
                .filter(t -> t.atime().isPresent() || t.mtime().isPresent() || t.ctime().isPresent()
                        || t.btime().isPresent());
        Optional<Encryption> encryption = element.child("encryption").map(VolumeXml::encryption);
        OptionalLong clusterSize = OptionalLong.empty();
        Optional<XmlElement> cluster = element.child("clusterSize");
        if (cluster.isPresent()) {
            long size = XmlValues.size(cluster.get());
            if (size == 0) {
                throw invalid("The cluster size in " + cluster.get().where() + " is zero.");
            }
            clusterSize = OptionalLong.of(size);
        }
        Optional<String> compat = element.child("compat").map(c -> {
            String value = c.trimmedText();
            if (!value.matches("[0-9]+\\.[0-9]+")) {
                throw invalid("The compat level '" + value + "' in " + c.where() + " is not of the form 1.1.");
            }
            return value;
        });
        boolean nocow = element.child("nocow").isPresent();
        List<String> features = new ArrayList<>();
        element.child("features").ifPresent(f -> f.children().forEach(feature -> {
            if (!feature.namespace().isEmpty() || !FEATURES.contains(feature.name())) {
                throw invalid("The feature " + feature.where() + " is not one of "
                        + String.join(", ", FEATURES) + ".");
            }
            features.add(feature.name());
        }));
        if (element.child("features").isPresent() && compat.isEmpty()) {
            // As libvirt does: a <features> element, even an empty one, means qcow2 compat 1.1,
            // the first level that has features.
            compat = Optional.of("1.1");
        }
        return new VolumeTarget(path, format, permissions, timestamps, compat, nocow, features, encryption,
                clusterSize, url);
    }

    private static Encryption encryption(XmlElement element) {
        String format = XmlValues.required(element, "format");
        if (!ENCRYPTION_FORMATS.contains(format)) {
            throw invalid("The encryption format '" + format + "' of " + element.where() + " is not one of "
                    + String.join(", ", ENCRYPTION_FORMATS) + ".");
        }
        Optional<String> engine = element.attribute("engine");
        engine.ifPresent(e -> {
            if (!e.equals("qemu") && !e.equals("librbd")) {
                throw invalid("The encryption engine '" + e + "' of " + element.where()
                        + " is neither 'qemu' nor 'librbd'.");
            }
        });
        Optional<PoolSource.SecretRef> secret = element.child("secret").map(s -> {
            String type = s.attribute("type").orElse("passphrase");
            if (!type.equals("passphrase")) {
                throw invalid("The secret type '" + type + "' of " + s.where() + " is not 'passphrase'.");
            }
            boolean hasUsage = s.attribute("usage").isPresent();
            if (hasUsage == s.attribute("uuid").isPresent()) {
                throw invalid("The element " + s.where() + " needs exactly one of the attributes 'usage' and 'uuid'.");
            }
            return hasUsage ? PoolSource.SecretRef.ofUsage(s.attribute("usage").get())
                    : PoolSource.SecretRef.ofUuid(XmlValues.uuidAttribute(s, "uuid"));
        });
        Optional<Encryption.Cipher> cipher = element.child("cipher").map(c -> {
            String size = XmlValues.required(c, "size").strip();
            if (!size.matches("[0-9]{1,9}") || Integer.parseInt(size) == 0) {
                throw invalid("The cipher size '" + size + "' of " + c.where() + " is not a positive number of bits.");
            }
            return new Encryption.Cipher(XmlValues.required(c, "name"), Integer.parseInt(size),
                    c.attribute("mode"), c.attribute("hash"));
        });
        Optional<Encryption.IvGenerator> ivgen = element.child("ivgen").map(i ->
                new Encryption.IvGenerator(XmlValues.required(i, "name"), i.attribute("hash")));
        Encryption encryption = new Encryption(format, engine, secret, cipher, ivgen);
        checkEncryption(encryption);
        return encryption;
    }

    /** What storagecommon.rng demands of an encryption element, so what we write libvirt reads. */
    private static void checkEncryption(Encryption encryption) {
        if (encryption.cipher().isPresent() != encryption.ivGenerator().isPresent()) {
            throw invalid("An <encryption> needs both <cipher> and <ivgen>, or neither.");
        }
        if (encryption.cipher().isPresent() && encryption.secret().isEmpty()) {
            throw invalid("An <encryption> with a <cipher> needs a <secret type='passphrase'> as well.");
        }
        encryption.cipher().ifPresent(c -> {
            if (c.mode().isPresent() != c.hash().isPresent()) {
                throw invalid("The <cipher> '" + c.name() + "' needs both 'mode' and 'hash', or neither.");
            }
        });
    }

    private static VolumeFormat format(XmlElement element) {
        String type = XmlValues.required(element, "type").strip();
        if (type.isEmpty()) {
            throw invalid("The element " + element.where() + " has an empty 'type' attribute.");
        }
        return new VolumeFormat(type);
    }

    private static Optional<Instant> time(XmlElement timestamps, String name) {
        return timestamps.child(name).map(XmlValues::timestamp);
    }

    private static BackingStore backingStore(XmlElement element) {
        XmlElement pathElement = element.child("path").orElseThrow(() ->
                invalid("The element " + element.where() + " lacks its <path>."));
        Path path = PoolXml.path(pathElement, XmlValues.requiredText(pathElement), null);
        return new BackingStore(path, element.child("format").map(VolumeXml::format),
                XmlValues.permissions(element.child("permissions")));
    }

    // ---- writing ----

    private static void writeEncryption(XmlWriter out, Encryption e) {
        String[] attributes = {"format", e.format(), "engine", e.engine().orElse(null)};
        if (e.secret().isEmpty()) {
            out.empty("encryption", attributes);
            return;
        }
        out.start("encryption", attributes);
        PoolSource.SecretRef secret = e.secret().get();
        out.empty("secret", "type", "passphrase", "usage", secret.usage().orElse(null),
                "uuid", secret.uuid().map(Object::toString).orElse(null));
        e.cipher().ifPresent(c -> out.empty("cipher", "name", c.name(), "size", Integer.toString(c.size()),
                "mode", c.mode().orElse(null), "hash", c.hash().orElse(null)));
        e.ivGenerator().ifPresent(i -> out.empty("ivgen", "name", i.name(), "hash", i.hash().orElse(null)));
        out.end("encryption");
    }

    /** The format to write: as given without a pool; with one, as libvirt writes it for that pool type. */
    private static Optional<VolumeFormat> format(Optional<VolumeFormat> given, Optional<PoolType> pool) {
        if (pool.isEmpty()) {
            return given;
        }
        Optional<VolumeFormat> fallback = defaultFormat(pool.get());
        return fallback.isEmpty() ? Optional.empty() : given.or(() -> fallback);
    }

    private static void writeTarget(XmlWriter out, VolumeTarget target, Optional<PoolType> pool) {
        Optional<VolumeFormat> format = format(target.format(), pool);
        if (target.equals(VolumeTarget.EMPTY) && format.isEmpty()) {
            return;
        }
        out.start("target");
        target.url().or(() -> target.path().map(Path::toString)).ifPresent(p -> out.text("path", p));
        format.ifPresent(f -> out.empty("format", "type", f.name()));
        target.permissions().ifPresent(p -> XmlValues.writePermissions(out, p));
        target.timestamps().ifPresent(t -> {
            if (t.atime().isEmpty() && t.mtime().isEmpty() && t.ctime().isEmpty() && t.btime().isEmpty()) {
                return;
            }
            out.start("timestamps");
            t.atime().ifPresent(i -> out.text("atime", XmlValues.timestamp(i, "atime")));
            t.mtime().ifPresent(i -> out.text("mtime", XmlValues.timestamp(i, "mtime")));
            t.ctime().ifPresent(i -> out.text("ctime", XmlValues.timestamp(i, "ctime")));
            t.btime().ifPresent(i -> out.text("btime", XmlValues.timestamp(i, "btime")));
            out.end("timestamps");
        });
        target.encryption().ifPresent(e -> writeEncryption(out, e));
        target.compat().ifPresent(c -> out.text("compat", c));
        target.clusterSize().ifPresent(c -> out.text("clusterSize", Long.toString(c), "unit", "B"));
        if (target.nocow()) {
            out.empty("nocow");
        }
        if (!target.features().isEmpty()) {
            out.start("features");
            target.features().forEach(out::empty);
            out.end("features");
        }
        out.end("target");
    }
}
