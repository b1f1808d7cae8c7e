package org.libstorage;

import java.nio.charset.StandardCharsets;

/**
 * The rule every pool and volume name obeys before anything touches the system: not empty, at
 * most 255 bytes of UTF-8, no {@code /}, no NUL, not {@code .} or {@code ..}, no leading {@code -}
 * (which tools would read as an option), no blank at either end (a name is read exactly as
 * given, never trimmed, so {@code " images"} and {@code "images"} cannot both exist or be confused).
 */
public final class Names {
    public static final int MAX_BYTES = 255;

    private Names() {
    }

    /**
     * Returns {@code name} if valid.
     *
     * @param what what the name names, for the message: {@code "pool name"}, {@code "volume name"}
     * @throws StorageException {@link ErrorCode#INVALID_ARGUMENT} naming the rule broken
     */
    public static String requireValid(String what, String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, null, null,
                    "The " + what + " " + quote(name) + " is invalid: " + problem + ".");
        }
        return name;
    }

    /** Why {@code name} is invalid, or null when it is valid. */
    static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "it is empty";
        }
        // A char is at most 3 bytes in UTF-8: most names need no encoding to be measured (a
        // refresh checks every file name it lists).
        if (name.length() * 3 > MAX_BYTES && name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "it is longer than " + MAX_BYTES + " bytes";
        }
        if (name.indexOf('\0') >= 0) {
            return "it contains a NUL character";
        }
        if (name.indexOf('/') >= 0) {
            return "it contains '/'";
        }
        if (name.equals(".") || name.equals("..")) {
            return "it is '" + name + "'";
        }
        if (name.startsWith("-")) {
            return "it starts with '-'";
        }
        if (blank(name.codePointAt(0)) || blank(name.codePointBefore(name.length()))) {
            return "it begins or ends with a blank";
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                return "it contains a control character";
            }
        }
        return null;
    }

    private static boolean blank(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private static String quote(String name) {
        if (name == null) {
            return "(null)";
        }
        String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        return "'" + shown.replace("\0", "\\0") + "'";
    }
}
