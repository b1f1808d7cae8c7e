package org.libstorage.backends.logical;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.libstorage.PoolSource;
import org.libstorage.VolumeDefinition;
import org.libstorage.VolumeType;
import org.junit.jupiter.api.Test;

/**
 * How an {@code lvs -a} report becomes volumes, for the LV kinds this kernel cannot create
 * (snapshots and thin volumes need device-mapper): the report is what LVM 2.03 prints for them.
 */
class LvToVolumeTest {
    private static final String REPORT = """
            {"report": [{"lv": [
              {"lv_uuid":"AAAAAA-0000-0000-0000-0000-0000-000001", "lv_name":"origin", "lv_size":"8388608", "lv_attr":"owi-a-s---", "lv_layout":"linear", "origin":"", "pool_lv":"", "data_percent":""},
              {"lv_uuid":"AAAAAA-0000-0000-0000-0000-0000-000002", "lv_name":"snap", "lv_size":"4194304", "lv_attr":"swi-a-s---", "lv_layout":"linear", "origin":"origin", "pool_lv":"", "data_percent":"0.01"},
              {"lv_uuid":"AAAAAA-0000-0000-0000-0000-0000-000003", "lv_name":"tp", "lv_size":"8388608", "lv_attr":"twi-a-tz--", "lv_layout":"thin,pool", "origin":"", "pool_lv":"", "data_percent":"12.50"},
              {"lv_uuid":"AAAAAA-0000-0000-0000-0000-0000-000004", "lv_name":"[tp_tdata]", "lv_size":"8388608", "lv_attr":"Twi-ao----", "lv_layout":"linear", "origin":"", "pool_lv":"", "data_percent":""},
              {"lv_uuid":"AAAAAA-0000-0000-0000-0000-0000-000005", "lv_name":"thin", "lv_size":"16777216", "lv_attr":"Vwi-a-tz--", "lv_layout":"thin,sparse", "origin":"", "pool_lv":"tp", "data_percent":"25.00"}
            ]}], "log": []}
            """;

    private static List<VolumeDefinition> volumes() {
        Map<Path, List<PoolSource.Extent>> extents = Map.of(Path.of("/dev/loop7"),
                List.of(new PoolSource.Extent(1048576, 9437184)));
        return LvmReport.parse(REPORT).section("lv").stream()
                .flatMap(row -> LogicalPoolDriver.toVolume("vg", row,
                        row.text("lv_name").equals("origin") ? extents : Map.of(), Map.of("origin", 8388608L)).stream())
                .toList();
    }

    @Test
    void hiddenLvsAndThinPoolsAreNotVolumes() {
        assertEquals(List.of("origin", "snap", "thin"), volumes().stream().map(VolumeDefinition::name).toList());
    }

    @Test
    void aSnapshotNamesItsOriginAsBackingStore() {
        VolumeDefinition snap = volumes().get(1);
        assertEquals(Optional.of(Path.of("/dev/vg/origin")), snap.backingStore().map(VolumeDefinition.BackingStore::path));
        assertEquals(Optional.of("AAAAAA-0000-0000-0000-0000-0000-000002"), snap.key());
        assertEquals(Optional.of(Path.of("/dev/vg/snap")), snap.path());
        assertEquals(8388608, snap.capacity(), "the snapshot's device is as large as its origin");
        assertEquals(4194304, snap.allocation().orElseThrow(), "its lv_size is its store for changes");
    }

    @Test
    void aThinVolumeIsAllocatedOnlyAsFarAsItsDataPercent() {
        VolumeDefinition thin = volumes().get(2);
        assertEquals(16777216, thin.capacity());
        assertEquals(4194304, thin.allocation().orElseThrow());
    }

    @Test
    void extentsAreByteRangesOnTheirDevice() {
        VolumeDefinition origin = volumes().getFirst();
        assertEquals(Optional.of(VolumeType.BLOCK), origin.type());
        assertEquals(List.of(new VolumeDefinition.SourceExtents(Path.of("/dev/loop7"),
                List.of(new PoolSource.Extent(1048576, 9437184)))), origin.extents());
        assertEquals(8388608, origin.allocation().orElseThrow());
    }
}
