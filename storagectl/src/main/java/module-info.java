/** storagectl: virsh-like verbs over the libstorage API. */
module org.libstorage.storagectl {
    requires org.libstorage.api;
    requires info.picocli;
    requires java.xml;
    requires java.logging;
    requires com.fasterxml.jackson.databind;

    opens org.libstorage.storagectl to info.picocli;
}
