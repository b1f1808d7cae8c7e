/**
 * The {@code dir} pool type, and the file-volume machinery every pool of files shares.
 *
 * <p>{@link org.libstorage.backends.dir.DirBackend} is the service; its driver extends
 * {@link org.libstorage.backends.dir.FilePoolDriver}, which hands every volume operation and the
 * refresh to {@link org.libstorage.backends.dir.FileVolumes} over one directory. An {@code fs}
 * or {@code netfs} pool reuses both: extend {@code FilePoolDriver} with the mount point as the
 * directory and implement build/start/stop/delete (mkfs, mount, unmount).
 *
 * <p>Choices, as libvirt makes them where it has one: volume keys and paths are canonical file
 * paths; new volumes get mode 0600 and new pool directories 0711 unless the definition says
 * otherwise; symlinks in the pool are not volumes and are never followed; subdirectories are
 * {@code dir} volumes; formats are read from headers in Java (no qemu-img per file); downloads
 * and uploads of image files carry the image file's bytes; copies of a qcow2 with a backing
 * file are flattened by qemu-img convert. A wiped image is a fresh empty image of the same
 * size and backing (see {@code Wipe}).
 */
package org.libstorage.backends.dir;
