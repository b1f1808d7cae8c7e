package org.libstorage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSecretStoreTest {
    private static final String SECRET = "s3cret-Pa55";

    @TempDir
    Path config;

    private Path secretFile(String name, String contents, String mode) throws Exception {
        Path dir = Files.createDirectories(config.resolve("secrets"));
        Path file = dir.resolve(name);
        Files.writeString(file, contents);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private FileSecretStore store() {
        return FileSecretStore.in(StorageConfig.ofDirectory(config));
    }

    @Test
    void readsASecretByUsageDroppingOneTrailingNewline() throws Exception {
        secretFile("libvirtiscsi", SECRET + "\n", "rw-------");
        byte[] secret = store().lookup(PoolSource.SecretRef.ofUsage("libvirtiscsi")).orElseThrow();
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8), secret);
    }

    @Test
    void readsASecretByUuid() throws Exception {
        UUID uuid = UUID.fromString("2ec115d7-3a88-4ad6-98c8-5ae8b1a3b2d1");
        secretFile(uuid.toString(), SECRET, "r--------");
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8),
                store().lookup(PoolSource.SecretRef.ofUuid(uuid)).orElseThrow());
    }

    @Test
    void aMissingSecretIsEmpty() {
        assertTrue(store().lookup(PoolSource.SecretRef.ofUsage("nobody")).isEmpty());
    }

    @Test
    void refusesAFileOthersCanRead() throws Exception {
        Path file = secretFile("shared", SECRET, "rw-r--r--");
        StorageException e = assertThrows(StorageException.class,
                () -> store().lookup(PoolSource.SecretRef.ofUsage("shared")));
        assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("0644")
                && e.getMessage().contains("chmod 600"), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET));
    }

    @Test
    void refusesASymbolicLink() throws Exception {
        Path target = secretFile("real", SECRET, "rw-------");
        Files.createSymbolicLink(target.resolveSibling("link"), target);
        StorageException e = assertThrows(StorageException.class,
                () -> store().lookup(PoolSource.SecretRef.ofUsage("link")));
        assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }

    @Test
    void refusesAFileOwnedBySomeoneElse() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to chown a file");
        Path file = secretFile("theirs", SECRET, "rw-------");
        Files.setAttribute(file, "unix:uid", 65534);
        StorageException e = assertThrows(StorageException.class,
                () -> store().lookup(PoolSource.SecretRef.ofUsage("theirs")));
        assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
        assertTrue(e.getMessage().contains("uid 65534"), e.getMessage());
    }

    @Test
    void refusesUsageStringsThatAreNotFileNames() {
        for (String usage : new String[] {"../etc/shadow", "a/b", ".hidden", ".."}) {
            StorageException e = assertThrows(StorageException.class,
                    () -> store().lookup(PoolSource.SecretRef.ofUsage(usage)));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), usage);
        }
    }

    @Test
    void toStringNamesOnlyTheDirectory() throws Exception {
        secretFile("libvirtiscsi", SECRET, "rw-------");
        FileSecretStore store = store();
        store.lookup(PoolSource.SecretRef.ofUsage("libvirtiscsi"));
        assertEquals("FileSecretStore[" + config.resolve("secrets") + "]", store.toString());
    }

    @Test
    void isTheDefaultStoreOfAConfiguration() throws Exception {
        secretFile("libvirtiscsi", SECRET, "rw-------");
        SecretStore defaults = StorageConfig.ofDirectory(config).secrets();
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8),
                defaults.lookup(PoolSource.SecretRef.ofUsage("libvirtiscsi")).orElseThrow());
    }

    @Test
    void equalConfigurationsAreEqual() {
        assertEquals(StorageConfig.ofDirectory(config), StorageConfig.ofDirectory(config));
    }
}
