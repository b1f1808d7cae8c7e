/*
 * libblkid's low-level probing API (libblkid.so.1, Debian libblkid1): superblock and
 * partition-table probing, the signature walk behind wipefs, and blkid_do_wipe.
 */
#include <blkid/blkid.h>
