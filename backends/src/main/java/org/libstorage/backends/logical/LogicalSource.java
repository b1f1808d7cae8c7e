package org.libstorage.backends.logical;

import java.util.Optional;

/**
 * What a logical pool stands on: a volume group, or a thin pool in one. A pool whose source
 * name is {@code VG/THINPOOL} (LVM's own notation) creates its volumes as thin volumes in that
 * thin pool and lists only them; with a plain {@code VG} it holds every LV of the group.
 */
record LogicalSource(String vg, Optional<String> thinPool) {
    /** {@code VG} or {@code VG/THINPOOL}, as LVM commands take it. */
    String lvmName() {
        return thinPool.map(tp -> vg + "/" + tp).orElse(vg);
    }
}
