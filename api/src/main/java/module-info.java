/** The libstorage public API: the model, its XML, errors, and the backend SPI. */
module org.libstorage.api {
    requires java.xml;

    exports org.libstorage;
    exports org.libstorage.spi;
    exports org.libstorage.xml;

    uses org.libstorage.spi.PoolBackend;
    uses org.libstorage.spi.HostDeviceProvider;
}
