package org.libstorage.backends.iscsi;

import java.util.List;
import org.libstorage.fallback.Iscsiadm;
import org.libstorage.nativelib.OpenIscsiUsr;

/**
 * The kernel initiator's sessions: read in-process by libopeniscsiusr where it is installed
 * (it reads sysfs, as iscsiadm does), else listed by {@code iscsiadm -m session}.
 */
@FunctionalInterface
interface KernelSessions {
    /**
     * @param iface the open-iscsi interface ({@code default}, or one made for an initiator IQN);
     *              empty when the listing does not say
     */
    record Session(int sid, String target, String address, int port, String iface) {
    }

    /** Every session now; none on a kernel without the initiator. */
    List<Session> list();

    /** A short name of where sessions come from, for status and logs. */
    default String source() {
        return getClass().getSimpleName();
    }

    static KernelSessions of(OpenIscsiUsr library, Iscsiadm iscsiadm) {
        if (library.isAvailable()) {
            return new KernelSessions() {
                @Override
                public List<Session> list() {
                    return library.sessions().stream().map(s -> new Session(s.sid(), s.target(),
                            s.persistentAddress().isEmpty() ? s.address() : s.persistentAddress(),
                            s.persistentAddress().isEmpty() ? s.port() : s.persistentPort(), s.iface())).toList();
                }

                @Override
                public String source() {
                    return OpenIscsiUsr.SONAME;
                }
            };
        }
        return new KernelSessions() {
            @Override
            public List<Session> list() {
                return iscsiadm.sessions().stream()
                        .map(s -> new Session(s.sid(), s.target(), s.address(), s.port(), "")).toList();
            }

            @Override
            public String source() {
                return "iscsiadm -m session";
            }
        };
    }
}
