package org.libstorage.nativelib;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.libstorage.bindings.openiscsiusr.openiscsiusr_h;

/**
 * open-iscsi's own library ({@code libopeniscsiusr.so.0}, Debian {@code libopeniscsiusr}): the
 * kernel initiator's sessions as it reads them from sysfs, in-process. open-iscsi offers no
 * library for discovery or login (those are {@code iscsiadm}'s), only this read side. One
 * immutable, thread-safe instance: {@link #instance()}; each call works in its own library
 * context, so nothing is shared between threads. When the library is missing,
 * {@link #isAvailable()} says so and every call throws {@link LibraryUnavailableException}.
 */
public final class OpenIscsiUsr {
    public static final String SONAME = "libopeniscsiusr.so.0";
    public static final String DEBIAN_PACKAGE = "libopeniscsiusr";
    private static final String LIBRARY = "libopeniscsiusr";

    private static final class Holder {
        static final OpenIscsiUsr INSTANCE = new OpenIscsiUsr(NativeLibrary.probe(LIBRARY, SONAME, DEBIAN_PACKAGE));
    }

    private final NativeLibrary library;
    private final AddressLayout pointer;

    OpenIscsiUsr(NativeLibrary library) {
        // Only now is openiscsiusr_h initialised: its static initialiser loads the library.
        NativeLibrary.Linked<AddressLayout> linked = library.link(() -> {
            openiscsiusr_h.iscsi_sessions_get$address();
            openiscsiusr_h.iscsi_session_iface_get$address();
            return openiscsiusr_h.C_POINTER;
        });
        this.library = linked.library();
        this.pointer = linked.bound();
    }

    /** libopeniscsiusr, probed once. */
    public static OpenIscsiUsr instance() {
        return Holder.INSTANCE;
    }

    public boolean isAvailable() {
        return pointer != null;
    }

    /** Why the library cannot be used here (naming the soname and Debian package), or empty. */
    public Optional<String> unavailableReason() {
        return isAvailable() ? Optional.empty() : library.unavailableReason();
    }

    /**
     * One kernel iSCSI session.
     *
     * @param sid               the session id ({@code /sys/class/iscsi_session/sessionSID})
     * @param target            the target IQN
     * @param address           the portal address the connection uses now
     * @param port              its port
     * @param persistentAddress the portal address the session was logged in to (what iscsiadm shows)
     * @param persistentPort    its port
     * @param tpgt              the target portal group tag
     * @param iface             the open-iscsi interface name ({@code default} or one made for an initiator IQN)
     * @param initiatorName     the initiator IQN the session logged in as, when the kernel reports it
     */
    public record Session(int sid, String target, String address, int port, String persistentAddress,
                          int persistentPort, int tpgt, String iface, Optional<String> initiatorName) {
        public Session {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(persistentAddress, "persistentAddress");
            Objects.requireNonNull(iface, "iface");
            Objects.requireNonNull(initiatorName, "initiatorName");
        }
    }

    /**
     * Every session the kernel initiator has now (none on a kernel without one).
     *
     * @throws NativeCallException when the library fails, with its error code and {@code iscsi_strerror} text
     */
    public List<Session> sessions() {
        if (!isAvailable()) {
            throw library.unavailable();
        }
        MemorySegment context = openiscsiusr_h.iscsi_context_new();
        if (context.equals(MemorySegment.NULL)) {
            throw new NativeCallException(SONAME, "iscsi_context_new", 0, "", "out of memory");
        }
        try (Arena arena = Arena.ofConfined()) {
            // The library logs to stderr by default; its return codes tell us everything, so it stays quiet.
            openiscsiusr_h.iscsi_context_log_priority_set(context, 0);
            MemorySegment list = arena.allocate(pointer);
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            int rc = openiscsiusr_h.iscsi_sessions_get(context, list, count);
            if (rc != openiscsiusr_h.LIBISCSI_OK()) {
                throw failure("iscsi_sessions_get", rc);
            }
            int n = count.get(ValueLayout.JAVA_INT, 0);
            MemorySegment array = list.get(pointer, 0);
            try {
                List<Session> sessions = new ArrayList<>(n);
                MemorySegment entries = array.reinterpret(pointer.byteSize() * n);
                for (int i = 0; i < n; i++) {
                    sessions.add(session(entries.getAtIndex(pointer, i)));
                }
                return List.copyOf(sessions);
            } finally {
                openiscsiusr_h.iscsi_sessions_free(array, n);
            }
        } finally {
            openiscsiusr_h.iscsi_context_free(context);
        }
    }

    private static Session session(MemorySegment se) {
        MemorySegment iface = openiscsiusr_h.iscsi_session_iface_get(se);
        String ifaceName = "default";
        Optional<String> initiator = Optional.empty();
        if (!iface.equals(MemorySegment.NULL)) {
            ifaceName = string(openiscsiusr_h.iscsi_iface_name_get(iface)).orElse(ifaceName);
            initiator = string(openiscsiusr_h.iscsi_iface_iname_get(iface));
        }
        return new Session(openiscsiusr_h.iscsi_session_sid_get(se),
                string(openiscsiusr_h.iscsi_session_target_name_get(se)).orElse(""),
                string(openiscsiusr_h.iscsi_session_address_get(se)).orElse(""),
                openiscsiusr_h.iscsi_session_port_get(se),
                string(openiscsiusr_h.iscsi_session_persistent_address_get(se)).orElse(""),
                openiscsiusr_h.iscsi_session_persistent_port_get(se),
                openiscsiusr_h.iscsi_session_tpgt_get(se),
                ifaceName, initiator);
    }

    /** A C string the library owns, copied; empty for NULL or "" (the library's "not known"). */
    private static Optional<String> string(MemorySegment text) {
        if (text.equals(MemorySegment.NULL)) {
            return Optional.empty();
        }
        String value = text.reinterpret(Long.MAX_VALUE).getString(0);
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    private static NativeCallException failure(String function, int rc) {
        MemorySegment text = openiscsiusr_h.iscsi_strerror(rc);
        String message = string(text).orElse("error " + rc) + " (LIBISCSI error " + rc + ")";
        return new NativeCallException(SONAME, function, 0, "", message);
    }

    @Override
    public String toString() {
        return "OpenIscsiUsr[" + (isAvailable() ? SONAME : unavailableReason().orElse("unavailable")) + "]";
    }
}
