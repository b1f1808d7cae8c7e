/**
 * Native bindings: jextract output (one package per library, not exported) and the safe
 * wrapper per library in {@code org.libstorage.nativelib}, and the lower layers' exception family
 * in {@code org.libstorage.lower} (here because a sealed hierarchy must stay in one module).
 */
module org.libstorage.bindings {
    exports org.libstorage.nativelib;
    exports org.libstorage.lower;
}
