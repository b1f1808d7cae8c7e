/** storagectl: virsh-like verbs over the libstorage API. */
module org.libstorage.storagectl {
    requires org.libstorage.api;
    requires org.libstorage.backends; // its blockio package: the one copy engine, for upload and download
    requires info.picocli;
    requires java.xml;
    requires com.fasterxml.jackson.databind;

    opens org.libstorage.storagectl to info.picocli;
}
