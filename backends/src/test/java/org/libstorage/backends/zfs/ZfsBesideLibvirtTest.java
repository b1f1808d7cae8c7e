package org.libstorage.backends.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libstorage.Pool;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;
import org.libstorage.ProgressListener;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.Volume;
import org.libstorage.VolumeDefinition;
import org.libstorage.testing.KernelFeature;
import org.libstorage.testing.RequiresKernel;
import org.libstorage.testing.Requirements;
import org.libstorage.testing.StorageOnlyLibvirtd;
import org.w3c.dom.Element;

/**
 * One ZFS dataset defined as a pool in libstorage and in libvirt (its own zfs backend, in a
 * private libvirtd): both list the same zvols with the same capacities and device paths,
 * whichever of the two made them, and a zvol one deletes is gone from the other's next refresh.
 */
@RequiresKernel(KernelFeature.ZFS)
class ZfsBesideLibvirtTest {
    private static final long MIB = ZfsLab.MIB;

    @TempDir
    Path dir;

    @Test
    void bothSeeTheSameVolumesInOneDataset() throws Exception {
        Requirements.requireRoot("libvirtd with the zfs backend");
        Requirements.requireCommand("libvirtd", "libvirt-daemon");
        Requirements.requireCommand("virsh", "libvirt-clients");
        try (ZfsLab lab = new ZfsLab(dir);
             StorageOnlyLibvirtd libvirt = StorageOnlyLibvirtd.start(Files.createDirectories(dir.resolve("lv")));
             Storage storage = Storage.open(StorageConfig.ofDirectory(dir.resolve("storage")))) {
            String dataset = lab.pool(256 * MIB) + "/vms";
            ZfsLab.run("zfs", "create", "-o", "mountpoint=none", dataset);

            Pool pool = storage.definePool(PoolDefinition.builder(PoolType.ZFS, "shared")
                    .source(PoolSource.builder().name(dataset).build()).build());
            pool.start();
            Volume sparse = pool.createVolume(VolumeDefinition.builder("sparse", 16 * MIB).allocation(0).build());
            pool.createVolume(VolumeDefinition.builder("full", 24 * MIB).build());
            // Not a multiple of any block size: libstorage rounds it up, and libvirt must read the same size.
            pool.createVolume(VolumeDefinition.builder("odd", 10 * MIB + 1).allocation(0).build());
            sparse.cloneAs("copy", ProgressListener.NONE);

            libvirt.virsh("pool-create-as shared zfs --source-name " + dataset);
            // libvirt 9 reads back a zvol it has just made from every line of `zfs list -r`, so until
            // its pool is refreshed it shows the capacity of the last zvol listed (here 16 MiB).
            libvirt.virsh("vol-create-as shared bylibvirt 20M --allocation 0; pool-refresh shared");
            pool.refresh();

            Map<String, Long> mine = capacities(pool);
            assertEquals(Map.of("bylibvirt", 20 * MIB, "copy", 16 * MIB, "full", 24 * MIB, "odd", 10 * MIB + 128 * 1024,
                    "sparse", 16 * MIB), mine);
            assertEquals(mine, libvirtCapacities(libvirt, "shared"));
            for (Volume volume : pool.volumes()) {
                Element xml = libvirtVolume(libvirt, "shared", volume.name());
                assertEquals(volume.path().toString(), text(xml, "path"));
                // The dataset on both sides (libvirt keys a zvol it has just made by its device
                // path, and by its dataset from its next refresh on).
                assertEquals(volume.key(), text(xml, "key"));
            }

            // A delete on one side is seen by the other at its next refresh.
            libvirt.virsh("vol-delete --pool shared full");
            pool.volume("odd").orElseThrow().delete();
            pool.refresh();
            libvirt.virsh("pool-refresh shared");
            assertEquals(Map.of("bylibvirt", 20 * MIB, "copy", 16 * MIB, "sparse", 16 * MIB), capacities(pool));
            assertEquals(capacities(pool), libvirtCapacities(libvirt, "shared"));

            libvirt.virsh("pool-destroy shared");
            pool.stop();
            assertTrue(ZfsLab.run("zfs", "list", "-H", "-o", "name", "-r", dataset).contains(dataset + "/copy"),
                    "stopping either pool leaves the zvols alone");
        }
    }

    private static Map<String, Long> capacities(Pool pool) {
        return pool.volumes().stream().collect(Collectors.toMap(Volume::name, v -> v.info().capacity(), (a, b) -> a,
                TreeMap::new));
    }

    private static Map<String, Long> libvirtCapacities(StorageOnlyLibvirtd libvirt, String pool) throws Exception {
        Map<String, Long> capacities = new TreeMap<>();
        for (String name : libvirt.volumeNames(pool)) {
            capacities.put(name, Long.parseLong(text(libvirtVolume(libvirt, pool, name), "capacity")));
        }
        return capacities;
    }

    private static Element libvirtVolume(StorageOnlyLibvirtd libvirt, String pool, String name) throws Exception {
        String xml = libvirt.virsh("vol-dumpxml --pool " + pool + " " + name);
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
    }

    private static String text(Element volume, String tag) {
        return volume.getElementsByTagName(tag).item(0).getTextContent().strip();
    }
}
