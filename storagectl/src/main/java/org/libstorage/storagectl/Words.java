package org.libstorage.storagectl;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one line of a batch or shell into words the way a POSIX shell splits a simple command,
 * without expansions: blanks separate words; {@code 'single quotes'} keep everything up to the
 * next single quote; {@code "double quotes"} keep everything but a backslash before {@code "} or
 * {@code \}; outside quotes a backslash keeps the next character; a {@code #} that starts a word
 * begins a comment that runs to the end of the line. {@code ''} is an empty word.
 */
final class Words {
    private Words() {
    }

    /** A line that cannot be split: an unterminated quote or a trailing backslash. */
    static final class SyntaxError extends Exception {
        SyntaxError(String message) {
            super(message, null, false, false);
        }
    }

    static List<String> split(String line) throws SyntaxError {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '#' && !inWord) {
                break;
            } else if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new SyntaxError("unterminated single quote");
                }
                word.append(line, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                while (true) {
                    if (i >= n) {
                        throw new SyntaxError("unterminated double quote");
                    }
                    char d = line.charAt(i);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\' && i + 1 < n && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) {
                        i++;
                        d = line.charAt(i);
                    }
                    word.append(d);
                    i++;
                }
                inWord = true;
                i++;
            } else if (c == '\\') {
                if (i + 1 >= n) {
                    throw new SyntaxError("the line ends with a backslash");
                }
                word.append(line.charAt(i + 1));
                inWord = true;
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
