/** Running the command-line tools that have no library, and parsing what they print. */
module org.libstorage.fallback {
    requires com.fasterxml.jackson.databind;
    // CommandException belongs to the lower layers' sealed family, which lives in the bindings module.
    requires transitive org.libstorage.bindings;

    exports org.libstorage.fallback;
}
