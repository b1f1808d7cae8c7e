package org.libstorage.nativelib;

/**
 * What {@code statvfs} says about a mounted filesystem, in bytes.
 *
 * @param availableBytes what an unprivileged user may still write ({@code f_bavail})
 * @param freeBytes      free space including the root reserve ({@code f_bfree})
 * @param flags          the {@code ST_*} mount flags
 */
public record Statvfs(long blockSize, long fragmentSize, long totalBytes, long freeBytes, long availableBytes,
                      long totalInodes, long freeInodes, long availableInodes, long fsid, long flags,
                      long maxNameLength) {

    public boolean readOnly() {
        return (flags & Libc.ST_RDONLY) != 0;
    }

    public long usedBytes() {
        return totalBytes - freeBytes;
    }
}
