package org.libstorage.backends.zfs;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;

/**
 * ZFS's naming rule, checked before anything reaches the kernel (which would answer only
 * {@code EINVAL}): each component of a dataset name is letters, digits and {@code _ - . :} or
 * space; a pool's name begins with a letter and is none of the words zpool reserves for vdev
 * types; a full name ({@code pool/dataset/volume@snapshot}) is at most 255 bytes.
 */
final class ZfsNames {
    static final String RULE = "ZFS names may contain only letters, digits, '_', '-', '.', ':' and spaces, a pool's"
            + " name must begin with a letter, and a full name (pool/dataset/volume) is at most 255 bytes";
    static final int MAX_BYTES = 255;
    private static final Set<String> RESERVED_POOL_NAMES = Set.of("mirror", "raidz", "raidz1", "raidz2", "raidz3",
            "draid", "spare", "log", "logs", "cache", "special", "dedup");

    private ZfsNames() {
    }

    /** Why {@code component} cannot be one component of a ZFS name, or empty when it can. */
    static Optional<String> componentProblem(String component) {
        if (component.isEmpty()) {
            return Optional.of("it has an empty component");
        }
        if (component.equals(".") || component.equals("..")) {
            return Optional.of("'" + component + "' is not a name");
        }
        for (int i = 0; i < component.length(); i++) {
            char c = component.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '-' || c == '.' || c == ':' || c == ' ';
            if (!ok) {
                return Optional.of("it contains '" + c + "'");
            }
        }
        return Optional.empty();
    }

    /** Why {@code dataset} ({@code POOL} or {@code POOL/DATASET...}) is not a valid ZFS dataset name, or empty. */
    static Optional<String> datasetProblem(String dataset) {
        if (dataset.isEmpty()) {
            return Optional.of("it is empty");
        }
        if (dataset.startsWith("/") || dataset.endsWith("/")) {
            return Optional.of("it starts or ends with '/'");
        }
        if (dataset.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return Optional.of("it is longer than " + MAX_BYTES + " bytes");
        }
        String[] parts = dataset.split("/", -1);
        String pool = parts[0];
        char first = pool.isEmpty() ? '0' : pool.charAt(0);
        if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
            return Optional.of("the pool name '" + pool + "' does not begin with a letter");
        }
        if (RESERVED_POOL_NAMES.contains(pool) || pool.matches("c[0-9].*")) {
            return Optional.of("'" + pool + "' is reserved by zpool");
        }
        for (String part : parts) {
            Optional<String> problem = componentProblem(part);
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    /** The pool part of a dataset name. */
    static String poolOf(String dataset) {
        int slash = dataset.indexOf('/');
        return slash < 0 ? dataset : dataset.substring(0, slash);
    }

    /**
     * {@code parent/name}, after checking {@code name} is a valid component and the whole fits.
     *
     * @param what "volume", "snapshot", ... for the message
     */
    static String child(String parent, String name, String what, String object, String operation) {
        Optional<String> problem = componentProblem(name);
        String full = parent + "/" + name;
        if (problem.isEmpty() && full.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            problem = Optional.of("'" + full + "' is longer than " + MAX_BYTES + " bytes");
        }
        if (problem.isPresent()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "The " + what + " name '" + name
                    + "' is not a valid ZFS name: " + problem.get() + " (" + RULE + ").");
        }
        return full;
    }

    /** {@code dataset@snapshot}, checked the same way. */
    static String snapshot(String dataset, String snapshot, String object, String operation) {
        Optional<String> problem = componentProblem(snapshot);
        String full = dataset + "@" + snapshot;
        if (problem.isEmpty() && full.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            problem = Optional.of("'" + full + "' is longer than " + MAX_BYTES + " bytes");
        }
        if (problem.isPresent()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, object, operation, "The snapshot name '" + snapshot
                    + "' is not a valid ZFS name: " + problem.get() + " (" + RULE + ").");
        }
        return full;
    }
}
