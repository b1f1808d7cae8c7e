package org.libstorage.fallback;

import org.libstorage.lower.CommandException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * open-iscsi's {@code iscsiadm}, the only public way to make the kernel initiator discover and
 * log in (open-iscsi ships no library for that; {@code libopeniscsiusr} only reads). Every call
 * is one argv through {@link CommandRunner}. Failures are {@link CommandException}s keeping the
 * exit status and stderr; {@link Status#of} names an exit status (iscsiadm(8), "EXIT STATUS").
 * Where a status means "already so" (logged in, logged out, no record) the methods say so in
 * their result instead of throwing, because libstorage's start and stop must be repeatable.
 *
 * <p>Nothing secret ever goes through here: a CHAP password would show in {@code /proc/PID/cmdline}
 * to every user of the host while iscsiadm runs, so the caller writes it into the node record.
 */
public final class Iscsiadm {
    public static final String TOOL = "iscsiadm";

    private final CommandRunner runner;
    private final String tool;

    public Iscsiadm(CommandRunner runner) {
        this(runner, TOOL);
    }

    /** An iscsiadm run from {@code tool}: a name looked up as {@link CommandRunner} does, or a path. */
    public Iscsiadm(CommandRunner runner, String tool) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.tool = Objects.requireNonNull(tool, "tool");
    }

    /** Whether {@code iscsiadm} can be run here. */
    public boolean available() {
        return runner.available(tool);
    }

    /** iscsiadm's exit statuses (open-iscsi 2.1, {@code include/iscsi_err.h}). */
    public enum Status {
        GENERIC(1, "generic error"),
        SESSION_NOT_FOUND(2, "session not found"),
        NO_MEMORY(3, "out of memory"),
        TRANSPORT(4, "connect problem"),
        LOGIN(5, "login failure"),
        DATABASE(6, "error accessing the iSCSI node database"),
        INVALID(7, "invalid argument"),
        TRANSPORT_TIMEOUT(8, "connection timer expired"),
        INTERNAL(9, "internal iscsid or kernel failure"),
        LOGOUT(10, "logout failure"),
        PDU_TIMEOUT(11, "iSCSI PDU timed out"),
        TRANSPORT_NOT_FOUND(12, "iSCSI transport module not loaded"),
        ACCESS(13, "no permission to reach iscsid"),
        TRANSPORT_CAPABILITIES(14, "transport lacks a capability"),
        SESSION_EXISTS(15, "session already exists"),
        INVALID_MANAGEMENT_REQUEST(16, "invalid request to iscsid"),
        ISNS_UNAVAILABLE(17, "iSNS unavailable"),
        ISCSID_COMMUNICATION(18, "cannot talk to iscsid"),
        FATAL_LOGIN(19, "non-retryable login failure"),
        ISCSID_NOT_CONNECTED(20, "iscsid is not running"),
        NO_OBJECTS_FOUND(21, "no matching records or sessions"),
        SYSFS_LOOKUP(22, "sysfs lookup failed"),
        HOST_NOT_FOUND(23, "host not found"),
        LOGIN_AUTHENTICATION(24, "login failed: authentication"),
        ISNS_QUERY(25, "iSNS query failed"),
        ISNS_REGISTRATION(26, "iSNS registration failed"),
        NOT_SUPPORTED(27, "operation not supported"),
        BUSY(28, "device or resource busy"),
        AGAIN(29, "try again"),
        UNKNOWN_DISCOVERY_TYPE(30, "unknown discovery type"),
        CHILD_TERMINATED(31, "child process terminated"),
        SESSION_NOT_CONNECTED(32, "session not connected");

        private final int code;
        private final String description;

        Status(int code, String description) {
            this.code = code;
            this.description = description;
        }

        public int code() {
            return code;
        }

        public String description() {
            return description;
        }

        public static Optional<Status> of(int code) {
            for (Status status : values()) {
                if (status.code == code) {
                    return Optional.of(status);
                }
            }
            return Optional.empty();
        }

        /** The status a failed iscsiadm run exited with, if it exited by itself. */
        public static Optional<Status> of(CommandException e) {
            OptionalInt code = e.exitStatus();
            return e.reason() == CommandException.Reason.EXIT_STATUS && code.isPresent() ? of(code.getAsInt())
                    : Optional.empty();
        }
    }

    /** A target a portal offers: {@code ADDRESS:PORT,TPGT IQN} in iscsiadm's output. */
    public record Target(String address, int port, int tpgt, String name) {
        public Target {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(name, "name");
        }

        /** {@code address:port}, with IPv6 addresses in brackets. */
        public String portal() {
            return Iscsiadm.portal(address, port);
        }
    }

    /** A line of {@code iscsiadm -m session}: {@code tcp: [SID] ADDRESS:PORT,TPGT IQN (non-flash)}. */
    public record Session(String transport, int sid, String address, int port, int tpgt, String target) {
        public Session {
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(target, "target");
        }
    }

    /** {@code host:port}, an IPv6 address in brackets, as iscsiadm's {@code -p} takes it. */
    public static String portal(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * SendTargets discovery at {@code portal}, without touching the node database
     * ({@code -o nonpersistent}).
     */
    public List<Target> discover(String portal, Optional<String> iface) {
        List<String> argv = new ArrayList<>(List.of(tool, "--mode", "discovery", "--type", "sendtargets",
                "--portal", portal, "--op", "nonpersistent"));
        iface.ifPresent(name -> argv.addAll(List.of("--interface", name)));
        CommandResult result = runner.run(argv);
        return parseTargets(result.stdout(), argv);
    }

    /** Creates the node record of {@code target} at {@code portal} (replacing one that exists). */
    public void newNode(String target, String portal, Optional<String> iface) {
        runner.run(node(target, portal, iface, "--op", "new"));
    }

    /** Sets {@code name} to {@code value} in the node record. Never for a secret. */
    public void updateNode(String target, String portal, Optional<String> iface, String name, String value) {
        runner.run(node(target, portal, iface, "--op", "update", "--name", name, "--value", value));
    }

    /** Deletes the node record; false when there was none. */
    public boolean deleteNode(String target, String portal, Optional<String> iface) {
        return unlessNothingFound(node(target, portal, iface, "--op", "delete"));
    }

    /** Logs in to the node; false when a session already existed. */
    public boolean login(String target, String portal, Optional<String> iface) {
        CommandResult result = runner.execute(node(target, portal, iface, "--login"));
        if (result.exitStatus() == Status.SESSION_EXISTS.code()) {
            return false;
        }
        result.requireSuccess();
        return true;
    }

    /** Logs out of the node's session; false when there was none. */
    public boolean logout(String target, String portal, Optional<String> iface) {
        return unlessNothingFound(node(target, portal, iface, "--logout"));
    }

    /** Creates the interface record {@code name} (a named initiator identity over tcp). */
    public void newIface(String name) {
        runner.run(List.of(tool, "--mode", "iface", "--interface", name, "--op", "new"));
    }

    public void updateIface(String name, String key, String value) {
        runner.run(List.of(tool, "--mode", "iface", "--interface", name, "--op", "update", "--name", key,
                "--value", value));
    }

    /** Deletes the interface record; false when there was none. */
    public boolean deleteIface(String name) {
        return unlessNothingFound(List.of(tool, "--mode", "iface", "--interface", name, "--op", "delete"));
    }

    /** The kernel initiator's sessions ({@code iscsiadm -m session}); none when there are none. */
    public List<Session> sessions() {
        List<String> argv = List.of(tool, "--mode", "session");
        CommandResult result = runner.execute(argv);
        if (result.exitStatus() == Status.NO_OBJECTS_FOUND.code()) {
            return List.of();
        }
        result.requireSuccess();
        return parseSessions(result.stdout(), argv);
    }

    private boolean unlessNothingFound(List<String> argv) {
        CommandResult result = runner.execute(argv);
        if (result.exitStatus() == Status.NO_OBJECTS_FOUND.code()) {
            return false;
        }
        result.requireSuccess();
        return true;
    }

    private List<String> node(String target, String portal, Optional<String> iface, String... rest) {
        List<String> argv = new ArrayList<>(List.of(tool, "--mode", "node", "--targetname", target, "--portal", portal));
        iface.ifPresent(name -> argv.addAll(List.of("--interface", name)));
        argv.addAll(List.of(rest));
        return argv;
    }

    /**
     * Parses discovery output, one {@code ADDRESS:PORT,TPGT IQN} a line ({@code [v6]:PORT,TPGT}
     * for IPv6). Blank lines are skipped; anything else is {@code BAD_OUTPUT}.
     */
    public static List<Target> parseTargets(String stdout, List<String> argv) {
        List<Target> targets = new ArrayList<>();
        for (String line : stdout.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            int space = line.indexOf(' ');
            if (space < 0) {
                throw badOutput(argv, stdout, "a discovery line without a target name: " + line);
            }
            Endpoint endpoint = endpoint(line.substring(0, space), line, argv, stdout);
            String name = line.substring(space + 1).strip();
            if (name.isEmpty() || name.indexOf(' ') >= 0) {
                throw badOutput(argv, stdout, "a discovery line whose target name is not one word: " + line);
            }
            targets.add(new Target(endpoint.address, endpoint.port, endpoint.tpgt, name));
        }
        return List.copyOf(targets);
    }

    /** Parses {@code iscsiadm -m session}: {@code TRANSPORT: [SID] ADDRESS:PORT,TPGT IQN (non-flash)}. */
    public static List<Session> parseSessions(String stdout, List<String> argv) {
        List<Session> sessions = new ArrayList<>();
        for (String line : stdout.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            String[] words = line.split("\\s+");
            if (words.length < 4 || !words[0].endsWith(":") || !words[1].startsWith("[") || !words[1].endsWith("]")) {
                throw badOutput(argv, stdout, "a session line not of the form 'tcp: [SID] PORTAL,TPGT IQN': " + line);
            }
            int sid;
            try {
                sid = Integer.parseInt(words[1].substring(1, words[1].length() - 1));
            } catch (NumberFormatException e) {
                throw badOutput(argv, stdout, "a session id that is not a number: " + line);
            }
            Endpoint endpoint = endpoint(words[2], line, argv, stdout);
            sessions.add(new Session(words[0].substring(0, words[0].length() - 1), sid, endpoint.address,
                    endpoint.port, endpoint.tpgt, words[3]));
        }
        return List.copyOf(sessions);
    }

    private record Endpoint(String address, int port, int tpgt) {
    }

    /** {@code ADDRESS:PORT,TPGT}, the address in brackets when it is IPv6. */
    private static Endpoint endpoint(String text, String line, List<String> argv, String stdout) {
        int comma = text.lastIndexOf(',');
        int colon = comma < 0 ? -1 : text.lastIndexOf(':', comma);
        if (comma < 0 || colon <= 0) {
            throw badOutput(argv, stdout, "a line whose portal is not of the form ADDRESS:PORT,TPGT: " + line);
        }
        String address = text.substring(0, colon);
        if (address.startsWith("[") && address.endsWith("]")) {
            address = address.substring(1, address.length() - 1);
        }
        try {
            return new Endpoint(address, Integer.parseInt(text.substring(colon + 1, comma)),
                    Integer.parseInt(text.substring(comma + 1)));
        } catch (NumberFormatException e) {
            throw badOutput(argv, stdout, "a line whose portal port or group tag is not a number: " + line);
        }
    }

    private static CommandException badOutput(List<String> argv, String stdout, String what) {
        return new CommandException(argv, CommandException.Reason.BAD_OUTPUT, OptionalInt.of(0), "",
                Command.displayOf(argv) + " printed " + what, null);
    }
}
