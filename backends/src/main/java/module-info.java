/** The pool backends, one package per pool type. */
module org.libstorage.backends {
    requires org.libstorage.api;
    requires org.libstorage.bindings;
    requires org.libstorage.fallback;
    requires com.fasterxml.jackson.databind;

    // The one data path, for storagectl's upload and download; nobody else sees it.
    exports org.libstorage.backends.blockio to org.libstorage.storagectl;

    provides org.libstorage.spi.PoolBackend with org.libstorage.backends.dir.DirBackend,
            org.libstorage.backends.logical.LogicalBackend,
            org.libstorage.backends.iscsi.IscsiDirectBackend, org.libstorage.backends.iscsi.IscsiKernelBackend,
            org.libstorage.backends.fs.FsBackend, org.libstorage.backends.disk.DiskBackend,
            org.libstorage.backends.zfs.ZfsBackend, org.libstorage.backends.rbd.RbdBackend;
    provides org.libstorage.spi.HostDeviceProvider with org.libstorage.backends.hostdevices.HostDevices;
}
