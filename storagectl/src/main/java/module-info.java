/** storagectl: virsh-like verbs over the libstorage API. */
module org.libstorage.storagectl {
    requires org.libstorage.api;
    requires java.xml;
    requires com.fasterxml.jackson.databind;
}
