/*
 * What libstorage uses from librbd (Debian librbd-dev, Ceph 16): image create/open/close,
 * stat, resize, remove, listing, snapshots and clones, allocation through diff_iterate2,
 * data through read2/write2, discard and write_zeroes, and the watchers of an image.
 * librados.h is included by librbd.h; the I/O context type comes from it.
 */
#include <stdint.h>
#include <stddef.h>
#include <rbd/librbd.h>
