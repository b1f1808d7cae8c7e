/*
 * libfdisk (libfdisk.so.1, Debian libfdisk1): partition tables (gpt, dos) as fdisk(8) and
 * sfdisk(8) edit them: create a label, add and delete partitions with the library's default
 * alignment, list partitions and free space, and tell the kernel.
 */
#include <libfdisk/libfdisk.h>
