package org.libstorage.storagectl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.libstorage.BackendStatus;
import org.libstorage.HostDevice;
import org.libstorage.Pool;
import org.libstorage.PoolInfo;
import org.libstorage.PoolStatus;
import org.libstorage.PoolSource;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeInfo;

/**
 * storagectl's {@code --json} output. Nodes are built field by field rather than by binding the
 * records, so the names programs read stay fixed when the model grows. Sizes are in bytes.
 */
final class Json {
    private final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** {@code node} on one line (JSON Lines, for streams such as {@code event}). */
    String line(ObjectNode node) {
        try {
            return mapper.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that cannot be written", e);
        }
    }

    ObjectNode object() {
        return mapper.createObjectNode();
    }

    ArrayNode array() {
        return mapper.createArrayNode();
    }

    /** Prints {@code items} as an array of the objects {@code node} makes. */
    <T> void printArray(PrintWriter out, List<T> items, Function<T, ObjectNode> node) {
        ArrayNode array = array();
        items.forEach(item -> array.add(node.apply(item)));
        print(out, array);
    }

    /** Prints {@code item} as the object {@code node} makes. */
    <T> void printObject(PrintWriter out, T item, Function<T, ObjectNode> node) {
        print(out, node.apply(item));
    }

    /** Prints pools, each with the status it was listed with (the same index in both lists). */
    void printPools(PrintWriter out, List<Pool> pools, List<PoolStatus> statuses) {
        ArrayNode array = array();
        for (int i = 0; i < pools.size(); i++) {
            array.add(pool(pools.get(i), statuses.get(i)));
        }
        print(out, array);
    }

    void print(PrintWriter out, JsonNode node) {
        try {
            out.println(mapper.writeValueAsString(node));
            out.flush();
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    ObjectNode pool(Pool pool) {
        return pool(pool, pool.status());
    }

    ObjectNode pool(Pool pool, PoolStatus status) {
        PoolInfo info = status.info();
        ObjectNode node = object()
                .put("name", pool.name())
                .put("uuid", pool.uuid().toString())
                .put("type", status.definition().type().xmlName())
                .put("state", Verb.state(info))
                .put("active", status.active())
                .put("autostart", status.autostart())
                .put("persistent", true);
        status.definition().targetPath().ifPresent(p -> node.put("target", p.toString()));
        if (status.active() && !info.spaceKnown()) {
            // A pool that cannot tell its space (an rbd pool without ceph-mgr): null, not a made-up 0.
            node.putNull("capacity").putNull("allocation").putNull("available");
            if (!info.notes().isEmpty()) {
                info.notes().forEach(node.putArray("notes")::add);
            }
        } else if (status.active()) {
            node.put("capacity", info.capacity()).put("allocation", info.allocation()).put("available", info.available());
            if (!info.notes().isEmpty()) {
                info.notes().forEach(node.putArray("notes")::add);
            }
        }
        return node;
    }

    ObjectNode volume(Volume volume) {
        VolumeInfo info = volume.info();
        VolumeDefinition definition = volume.definition();
        ObjectNode node = object()
                .put("name", volume.name())
                .put("pool", volume.pool().name())
                .put("key", volume.key())
                .put("path", volume.path().toString())
                .put("type", info.type().xmlName());
        definition.format().ifPresent(f -> node.put("format", f.name()));
        node.put("capacity", info.capacity()).put("allocation", info.allocation());
        definition.backingStore().ifPresent(b -> {
            ObjectNode backing = node.putObject("backingStore").put("path", b.path().toString());
            b.format().ifPresent(f -> backing.put("format", f.name()));
        });
        return node;
    }

    ObjectNode backend(BackendStatus status) {
        ObjectNode node = object().put("type", status.type().xmlName()).put("available", status.available());
        status.reason().ifPresent(r -> node.put("reason", r));
        ArrayNode notes = node.putArray("notes");
        status.notes().forEach(notes::add);
        return node;
    }

    ObjectNode source(PoolSource source) {
        ObjectNode node = object();
        if (!source.hosts().isEmpty()) {
            ArrayNode hosts = node.putArray("hosts");
            for (PoolSource.Host h : source.hosts()) {
                ObjectNode host = hosts.addObject().put("name", h.name());
                h.port().ifPresent(p -> host.put("port", p));
            }
        }
        if (!source.devices().isEmpty()) {
            ArrayNode devices = node.putArray("devices");
            source.devices().forEach(d -> devices.add(d.path().toString()));
        }
        source.dir().ifPresent(d -> node.put("dir", d.toString()));
        source.name().ifPresent(n -> node.put("name", n));
        source.format().ifPresent(f -> node.put("format", f));
        source.vendor().ifPresent(v -> node.put("vendor", v));
        source.product().ifPresent(p -> node.put("product", p));
        return node;
    }

    /** A device with its children nested, as {@code lsblk --json} nests them. */
    ObjectNode device(HostDevice d, java.util.List<ObjectNode> children) {
        ObjectNode node = object()
                .put("name", d.name())
                .put("path", d.path().toString())
                .put("kind", d.kind().name().toLowerCase(Locale.ROOT))
                .put("size", d.size())
                .put("logicalSectorSize", d.logicalSectorSize())
                .put("physicalSectorSize", d.physicalSectorSize())
                .put("rotational", d.rotational())
                .put("readOnly", d.readOnly())
                .put("removable", d.removable());
        put(node, "model", d.model());
        put(node, "serial", d.serial());
        put(node, "wwn", d.wwn());
        d.backingFile().ifPresent(f -> node.put("backingFile", f.toString()));
        d.transport().ifPresent(t -> {
            ObjectNode transport = node.putObject("transport").put("type", t.type()).put("pathId", t.pathId());
            t.byPath().ifPresent(link -> transport.put("byPath", link.toString()));
        });
        ArrayNode mounts = node.putArray("mountPoints");
        d.mountPoints().forEach(m -> mounts.add(m.toString()));
        HostDevice.Probe p = d.probe();
        put(node, "fsType", p.type());
        put(node, "usage", p.usage());
        put(node, "uuid", p.uuid());
        put(node, "label", p.label());
        put(node, "partitionTableType", p.partitionTableType());
        put(node, "partitionTableUuid", p.partitionTableUuid());
        put(node, "partitionUuid", p.partitionUuid());
        put(node, "partitionType", p.partitionType());
        put(node, "partitionName", p.partitionName());
        if (!children.isEmpty()) {
            node.putArray("children").addAll(children);
        }
        return node;
    }

    private static void put(ObjectNode node, String field, Optional<String> value) {
        value.ifPresent(v -> node.put(field, v));
    }

    /** A pool state as virsh prints it in details: running, inactive, building, degraded, inaccessible. */}
