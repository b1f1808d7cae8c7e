/** Running the command-line tools that have no library, and parsing what they print. */
module org.libstorage.fallback {
    requires com.fasterxml.jackson.databind;

    exports org.libstorage.fallback;
}
