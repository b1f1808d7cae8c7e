package org.libstorage.backends.logical;

import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/** LVM's rule for VG names, checked before any command runs so a bad name changes nothing. */
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

    static String requireVgName(String poolName, String vgName) {
        String problem = vgNameProblem(vgName);
        if (problem != null) {
            throw new StorageException(ErrorCode.INVALID_DEFINITION, "pool '" + poolName + "'", "pool-define",
                    "The volume group name '" + vgName + "' of pool '" + poolName + "' is invalid: " + problem + ".");
        }
        return vgName;
    }
}
