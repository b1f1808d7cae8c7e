/**
 * Native bindings: jextract output (one package per library, not exported) and the safe
 * wrapper per library in {@code org.libstorage.nativelib}, the only exported package.
 */
module org.libstorage.bindings {
    exports org.libstorage.nativelib;
}
