package org.libstorage.fallback;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * An argv to run, some of whose elements may be secret (a CHAP password, a passphrase).
 * Secret elements are passed to the process unchanged but shown as {@code ***} everywhere
 * else: log lines, exception messages, {@link CommandResult#argv()} and {@link #toString()}.
 * Immutable; {@link #arg}, {@link #args} and {@link #secret} return a new command.
 */
public final class Command {
    static final String REDACTED = "***";

    private final List<String> argv;
    private final BitSet secret;

    private Command(List<String> argv, BitSet secret) {
        this.argv = argv;
        this.secret = secret;
    }

    /** A command with no secret elements. The first element is the tool name or path. */
    public static Command of(String tool, String... args) {
        return of(prepend(tool, List.of(args)));
    }

    /** A command with no secret elements. */
    public static Command of(List<String> argv) {
        List<String> copy = List.copyOf(argv); // rejects null elements
        if (copy.isEmpty() || copy.getFirst().isEmpty()) {
            throw new IllegalArgumentException("a command needs a non-empty tool name");
        }
        for (String element : copy) {
            if (element.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argv elements cannot contain NUL");
            }
        }
        return new Command(copy, new BitSet());
    }

    /** This command with one more, ordinary, element. */
    public Command arg(String element) {
        return append(List.of(element), false);
    }

    /** This command with more ordinary elements. */
    public Command args(Collection<String> elements) {
        return append(List.copyOf(elements), false);
    }

    /** This command with more ordinary elements. */
    public Command args(String... elements) {
        return append(List.of(elements), false);
    }

    /** This command with one more element that must never be shown. */
    public Command secret(String element) {
        return append(List.of(element), true);
    }

    /** The argv to execute, secrets included. Never log this. */
    public List<String> argv() {
        return argv;
    }

    /** The argv to show: secret elements replaced by {@code ***}. */
    public List<String> redactedArgv() {
        if (secret.isEmpty()) {
            return argv;
        }
        List<String> shown = new ArrayList<>(argv.size());
        for (int i = 0; i < argv.size(); i++) {
            shown.add(secret.get(i) ? REDACTED : argv.get(i));
        }
        return List.copyOf(shown);
    }

    /** The tool as given: a name looked up on the search path, or a path. */
    public String tool() {
        return argv.getFirst();
    }

    /** {@code text} with every secret element's value replaced by {@code ***}. */
    String redact(String text) {
        String result = text;
        for (int i = secret.nextSetBit(0); i >= 0; i = secret.nextSetBit(i + 1)) {
            String value = argv.get(i);
            if (!value.isEmpty()) {
                result = result.replace(value, REDACTED);
            }
        }
        return result;
    }

    /** A shell-like rendering of the redacted argv, for messages; quoted only where needed. */
    String display() {
        return displayOf(redactedArgv());
    }

    /** Longest argv rendering put in a message. */
    private static final int MAX_DISPLAY = 400;

    /** A shell-like rendering of an (already redacted) argv, bounded, for messages. */
    static String displayOf(List<String> redactedArgv) {
        StringBuilder out = new StringBuilder();
        for (String element : redactedArgv) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append(quoteForDisplay(element));
            if (out.length() > MAX_DISPLAY) {
                out.setLength(MAX_DISPLAY);
                out.append('…');
                break;
            }
        }
        return out.toString();
    }

    private static String quoteForDisplay(String element) {
        if (!element.isEmpty() && element.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./=:,+@%".indexOf(c) >= 0)) {
            return element;
        }
        return "'" + element.replace("'", "'\\''") + "'";
    }

    private Command append(List<String> elements, boolean secretElements) {
        for (String element : elements) {
            if (element.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argv elements cannot contain NUL");
            }
        }
        List<String> joined = new ArrayList<>(argv.size() + elements.size());
        joined.addAll(argv);
        joined.addAll(elements);
        BitSet marks = (BitSet) secret.clone();
        if (secretElements) {
            marks.set(argv.size(), joined.size());
        }
        return new Command(List.copyOf(joined), marks);
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> all = new ArrayList<>(rest.size() + 1);
        all.add(Objects.requireNonNull(first, "tool"));
        all.addAll(rest);
        return all;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Command that && argv.equals(that.argv) && secret.equals(that.secret);
    }

    @Override
    public int hashCode() {
        return argv.hashCode() * 31 + secret.hashCode();
    }

    @Override
    public String toString() {
        return display();
    }
}
