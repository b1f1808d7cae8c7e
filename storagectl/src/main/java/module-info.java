/** storagectl: virsh-like verbs over the libstorage API. */
module org.libstorage.storagectl {
    requires org.libstorage.api;
    requires org.libstorage.backends; // its blockio package: the one copy engine, for upload and download
    requires java.xml;
    requires java.logging;
    requires com.fasterxml.jackson.databind;
}
