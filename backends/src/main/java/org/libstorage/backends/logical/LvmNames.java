package org.libstorage.backends.logical;

import java.util.List;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/** LVM's rules for VG and LV names, checked before any command runs so a bad name changes nothing. */
final class LvmNames {
    /** LVM's NAME_LEN is 128 bytes including the terminating NUL. */
    static final int MAX_LENGTH = 127;

    private LvmNames() {
    }

    /** Why LVM would reject {@code name} as a VG name, or null when it accepts it. */
    static String vgNameProblem(String name) {
        if (name.isEmpty()) {
            return "it is empty";
        }
        if (name.length() > MAX_LENGTH) {
            return "it is longer than " + MAX_LENGTH + " characters";
        }
        if (name.equals(".") || name.equals("..")) {
            return "it is '" + name + "'";
        }
        if (name.startsWith("-")) {
            return "it starts with '-'";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "+_.-".indexOf(c) >= 0;
            if (!allowed) {
                return "LVM allows only letters, digits and '+_.-', not '" + c + "'";
            }
        }
        return null;
    }

    /** Parts of LV names LVM keeps for the hidden LVs it makes itself (lvm-string.c). */
    private static final List<String> RESERVED_LV_PARTS = List.of("_cdata", "_cmeta", "_corig", "_cpool", "_cvol",
            "_wcorig", "_imeta", "_iorig", "_mimage", "_mlog", "_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta",
            "_vdata", "_vorigin");

    /** Why LVM would reject {@code name} as an LV name, or null when it accepts it. */
    static String lvNameProblem(String name) {
        String problem = vgNameProblem(name);
        if (problem != null) {
            return problem;
        }
        for (String prefix : List.of("snapshot", "pvmove")) {
            if (name.startsWith(prefix)) {
                return "LVM keeps names starting with '" + prefix + "' for itself";
            }
        }
        for (String part : RESERVED_LV_PARTS) {
            if (name.contains(part)) {
                return "LVM keeps names containing '" + part + "' for its hidden volumes";
            }
        }
        return null;
    }

    /**
     * A logical pool's source name, {@code VG} or {@code VG/THINPOOL}, split and checked.
     *
     * @throws StorageException {@code INVALID_DEFINITION} naming the part LVM would reject
     */
    static LogicalSource parseSource(String poolName, String sourceName) {
        int slash = sourceName.indexOf('/');
        if (slash < 0) {
            return new LogicalSource(requireVgName(poolName, sourceName), Optional.empty());
        }
        String vg = requireVgName(poolName, sourceName.substring(0, slash));
        String thinPool = sourceName.substring(slash + 1);
        String problem = lvNameProblem(thinPool);
        if (problem != null) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, "pool '" + poolName + "'", "pool-define",
                    "The thin pool name '" + thinPool + "' in source '" + sourceName + "' of pool '" + poolName
                            + "' is invalid: " + problem + ".");
        }
        return new LogicalSource(vg, Optional.of(thinPool));
    }

    static String requireVgName(String poolName, String vgName) {
        String problem = vgNameProblem(vgName);
        if (problem != null) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, "pool '" + poolName + "'", "pool-define",
                    "The volume group name '" + vgName + "' of pool '" + poolName + "' is invalid: " + problem + ".");
        }
        return vgName;
    }
}
