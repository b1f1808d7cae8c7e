/*
 * What libstorage uses from libzfs_core (libzfs_core.so.3, Debian libzfs4linux; ZFS 2.1) and
 * the libnvpair calls its property and result lists need (libnvpair.so.3, Debian
 * libnvpair3linux). libzfs_core's calls are thin wrappers around the /dev/zfs ioctls; they
 * return an errno instead of setting it. BLKZNAME is the ioctl that asks a /dev/zdN device
 * for its dataset's name; jextract cannot evaluate a macro sized by an array type, hence the
 * enum copy.
 */
#include <libzfs_core.h>
#include <libnvpair.h>
#include <sys/fs/zfs.h>

enum { LS_BLKZNAME = BLKZNAME, LS_ZFS_MAX_DATASET_NAME_LEN = ZFS_MAX_DATASET_NAME_LEN };
