package org.libstorage.backends.iscsi;

import java.util.Locale;
import java.util.Optional;
import org.libstorage.ErrorCode;
import org.libstorage.StorageException;
import org.libstorage.lower.CommandException;
import org.libstorage.fallback.Iscsiadm;

/**
 * Turns iscsiadm's failures into {@link StorageException}s, as {@link IscsiErrors} does for
 * libiscsi's: the same codes for the same faults (a refused port is {@code IO_ERROR}, rejected
 * CHAP {@code PERMISSION_DENIED}, ...), a message that says what to check, and the
 * {@link CommandException} (argv, exit status, stderr) as the cause.
 */
final class IscsiadmErrors {
    private IscsiadmErrors() {
    }

    /**
     * @param object the pool or volume concerned, as in {@code pool 'san'}
     * @param where  what was being reached, as in {@code target iqn... at 127.0.0.1:3260}
     */
    static StorageException map(CommandException e, String object, String operation, String where) {
        String stderr = e.stderr().toLowerCase(Locale.ROOT);
        String said = said(e);
        switch (e.reason()) {
            case NOT_FOUND -> {
                return new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation, e.getMessage() + ".", e);
            }
            case TIMED_OUT -> {
                return new StorageException(ErrorCode.TIMEOUT, object, operation,
                        "iscsiadm did not finish reaching " + where + " in time and was stopped" + said + ".", e);
            }
            case INTERRUPTED -> {
                return new StorageException(ErrorCode.CANCELLED, object, operation,
                        "Cancelled while iscsiadm was reaching " + where + ".", e);
            }
            case FAILED_TO_START, BAD_OUTPUT -> {
                return new StorageException(ErrorCode.COMMAND_FAILED, object, operation, e.getMessage() + ".", e);
            }
            case EXIT_STATUS -> {
                // handled below
            }
        }
        Optional<Iscsiadm.Status> status = Iscsiadm.Status.of(e);
        if (stderr.contains("connection refused") || stderr.contains("cannot make connection")
                || stderr.contains("no route to host") || stderr.contains("network is unreachable")) {
            return new StorageException(ErrorCode.IO_ERROR, object, operation, "Cannot connect to " + where
                    + "; check that the target is running and listening there" + said + ".", e);
        }
        if (status.isEmpty()) {
            return new StorageException(ErrorCode.COMMAND_FAILED, object, operation,
                    "iscsiadm failed reaching " + where + said + ".", e);
        }
        return switch (status.get()) {
            case TRANSPORT, PDU_TIMEOUT, SESSION_NOT_CONNECTED -> new StorageException(ErrorCode.IO_ERROR, object,
                    operation, "Cannot reach " + where + " (" + status.get().description() + ")" + said + ".", e);
            case TRANSPORT_TIMEOUT -> new StorageException(ErrorCode.TIMEOUT, object, operation,
                    "No answer from " + where + " within the login timeout" + said + ".", e);
            case LOGIN_AUTHENTICATION -> new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "The target rejected the login to " + where + " (CHAP authentication or the target's initiator"
                            + " ACL); check the user name, the secret in the secret store and the ACL.", e);
            case FATAL_LOGIN -> new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "The target refused the login to " + where + " for good (it has no such target for this"
                            + " initiator, or does not allow it); iscsid's log names the reason" + said + ".", e);
            case TRANSPORT_NOT_FOUND -> new StorageException(ErrorCode.BACKEND_UNAVAILABLE, object, operation,
                    "The kernel's iSCSI TCP transport is not loaded (modprobe iscsi_tcp)" + said + ".", e);
            case ISCSID_NOT_CONNECTED, ISCSID_COMMUNICATION -> new StorageException(ErrorCode.BACKEND_UNAVAILABLE,
                    object, operation, "iscsid is not running; start it (systemctl start iscsid, or iscsid)"
                            + said + ".", e);
            case ACCESS -> new StorageException(ErrorCode.PERMISSION_DENIED, object, operation,
                    "iscsiadm may not talk to iscsid; kernel iSCSI pools need root" + said + ".", e);
            case SESSION_NOT_FOUND, NO_OBJECTS_FOUND -> new StorageException(ErrorCode.NO_SUCH_DEVICE, object,
                    operation, "open-iscsi has no session or node record for " + where + said + ".", e);
            case BUSY, AGAIN -> new StorageException(ErrorCode.DEVICE_BUSY, object, operation,
                    "open-iscsi is busy with " + where + "; try again" + said + ".", e);
            case SESSION_EXISTS -> new StorageException(ErrorCode.DEVICE_BUSY, object, operation,
                    "A session to " + where + " already exists" + said + ".", e);
            default -> new StorageException(ErrorCode.COMMAND_FAILED, object, operation,
                    "iscsiadm failed reaching " + where + " (status " + status.get().code() + ": "
                            + status.get().description() + ")" + said + ".", e);
        };
    }

    /** iscsiadm's last line of stderr (its conclusion), for the message. */
    private static String said(CommandException e) {
        // "initiator reported error (24 - ...)" explains a login; otherwise the last line concludes.
        java.util.List<String> lines = e.stderr().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        String last = lines.stream().filter(l -> l.contains("reported error")).findFirst()
                .orElse(lines.isEmpty() ? "" : lines.getLast());
        if (last.startsWith("iscsiadm: ")) {
            last = last.substring("iscsiadm: ".length());
        }
        return last.isEmpty() ? "" : " (iscsiadm: " + last + ")";
    }
}
