package org.libstorage.nativelib;

import java.util.Objects;
import java.util.Optional;
import org.libstorage.lower.LowerLayerException;

/**
 * A libiscsi call failed. Keeps the library's soname, the function, what kind of failure it
 * was (so callers can tell a refused connection from a rejected password), libiscsi's own
 * message ({@code iscsi_get_error}) and, when a SCSI command completed with a bad status, that
 * status with the sense key and ASC/ASCQ. Never holds a CHAP secret: libiscsi's messages do
 * not contain it and nothing else is copied in.
 */
public final class IscsiException extends LowerLayerException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, as far as the initiator can tell. */
    public enum Kind {
        /** The TCP connection to the portal could not be made. */
        CONNECT,
        /** No answer within the session's timeout. */
        TIMEOUT,
        /** The target rejected the CHAP credentials (login status 0x0201). */
        AUTHENTICATION,
        /** The initiator may not use this target (login status 0x0202). */
        AUTHORIZATION,
        /** The target name is unknown at the portal (login status 0x0203, 0x0204). */
        TARGET_NOT_FOUND,
        /** Any other login failure. */
        LOGIN,
        /** The connection dropped (the target went away) while a command was in flight. */
        CONNECTION_LOST,
        /** A SCSI command completed with a status other than GOOD; see {@link #scsiStatus()}. */
        SCSI_STATUS,
        /** Anything else libiscsi reported. */
        OTHER
    }

    /**
     * A SCSI status with its sense data: {@code senseKey}/{@code asc}/{@code ascq} are 0 and
     * the names empty when the target sent no sense (status other than CHECK CONDITION).
     */
    public record ScsiStatus(int status, String statusName, int senseKey, String senseKeyName, int asc, int ascq,
                             String ascqName) {
        /** Whether the target said the LUN does not exist (ILLEGAL REQUEST, 25h/00h). */
        public boolean logicalUnitNotSupported() {
            return senseKey == 0x05 && asc == 0x25 && ascq == 0x00;
        }

        /** Whether the target does not know the command or a field of it (ILLEGAL REQUEST, 20h or 24h). */
        public boolean unsupportedCommand() {
            return senseKey == 0x05 && (asc == 0x20 || asc == 0x24);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("SCSI status ").append(statusName)
                    .append(String.format(" (0x%02x)", status));
            if (!senseKeyName.isEmpty() || senseKey != 0) {
                sb.append(", sense key ").append(senseKeyName).append(String.format(" (0x%x)", senseKey))
                        .append(String.format(", ASC/ASCQ 0x%02x/0x%02x", asc, ascq));
                if (!ascqName.isEmpty()) {
                    sb.append(' ').append(ascqName);
                }
            }
            return sb.toString();
        }
    }

    private final String library;
    private final String function;
    private final Kind kind;
    private final String libraryMessage;
    private final ScsiStatus scsiStatus;

    public IscsiException(String library, String function, Kind kind, String libraryMessage, ScsiStatus scsiStatus) {
        super(describe(library, function, libraryMessage, scsiStatus), null);
        this.library = Objects.requireNonNull(library, "library");
        this.function = Objects.requireNonNull(function, "function");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.libraryMessage = libraryMessage == null ? "" : libraryMessage;
        this.scsiStatus = scsiStatus;
    }

    private static String describe(String library, String function, String message, ScsiStatus status) {
        StringBuilder sb = new StringBuilder(library).append(": ").append(function).append("() failed");
        if (message != null && !message.isBlank()) {
            sb.append(": ").append(message.strip());
        }
        if (status != null) {
            sb.append(" (").append(status).append(')');
        }
        return sb.toString();
    }

    /** The soname, such as {@code libiscsi.so.7}. */
    public String library() {
        return library;
    }

    public String function() {
        return function;
    }

    public Kind kind() {
        return kind;
    }

    /** What {@code iscsi_get_error} said (may be empty). */
    public String libraryMessage() {
        return libraryMessage;
    }

    public Optional<ScsiStatus> scsiStatus() {
        return Optional.ofNullable(scsiStatus);
    }
}
