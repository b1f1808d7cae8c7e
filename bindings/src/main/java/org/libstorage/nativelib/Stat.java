package org.libstorage.nativelib;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code statx} says about a file.
 *
 * @param size           length in bytes (for a block device, 0: use {@link Libc#blockDeviceSize})
 * @param allocatedBytes bytes actually allocated on disk (less than size for sparse files)
 * @param mode           file type and permission bits ({@code st_mode})
 * @param device         the device holding the file, Linux-encoded ({@code makedev(major, minor)})
 * @param rdev           for device files, the device they stand for, Linux-encoded
 * @param btime          creation time, when the filesystem records it
 */
public record Stat(long size, long allocatedBytes, int mode, int uid, int gid, long inode, long device,
                   long rdev, int links, Instant atime, Instant mtime, Instant ctime, Optional<Instant> btime) {


    public Stat {
        Objects.requireNonNull(atime, "atime");
        Objects.requireNonNull(mtime, "mtime");
        Objects.requireNonNull(ctime, "ctime");
        Objects.requireNonNull(btime, "btime");
    }

    public boolean isRegularFile() {
        return (mode & Libc.S_IFMT) == Libc.S_IFREG;
    }

    public boolean isDirectory() {
        return (mode & Libc.S_IFMT) == Libc.S_IFDIR;
    }

    public boolean isBlockDevice() {
        return (mode & Libc.S_IFMT) == Libc.S_IFBLK;
    }

    public boolean isCharacterDevice() {
        return (mode & Libc.S_IFMT) == Libc.S_IFCHR;
    }

    public boolean isSymlink() {
        return (mode & Libc.S_IFMT) == Libc.S_IFLNK;
    }

    /** The permission bits alone ({@code 0644} and so on), with setuid/setgid/sticky. */
    public int permissions() {
        return mode & 07777;
    }

    public int rdevMajor() {
        return major(rdev);
    }

    public int rdevMinor() {
        return minor(rdev);
    }

    public int deviceMajor() {
        return major(device);
    }

    public int deviceMinor() {
        return minor(device);
    }

    /** glibc's {@code makedev}: 12+20 bits of major, 8+24 bits of minor. */
    public static long makedev(int major, int minor) {
        long ma = Integer.toUnsignedLong(major);
        long mi = Integer.toUnsignedLong(minor);
        return ((ma & 0xfffff000L) << 32) | ((ma & 0xfffL) << 8) | ((mi & 0xffffff00L) << 12) | (mi & 0xffL);
    }

    public static int major(long dev) {
        return (int) (((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL));
    }

    public static int minor(long dev) {
        return (int) (((dev >>> 12) & 0xffffff00L) | (dev & 0xffL));
    }
}
