/*
 * What libstorage uses from the C library and the kernel's UAPI headers: file I/O,
 * statx, extents (SEEK_DATA/SEEK_HOLE, fallocate), copy_file_range, the block-device,
 * partition (BLKPG) and loop-device ioctls, statvfs, flock and errno values. jextract evaluates the ioctl
 * request macros (_IOW/_IOR) itself, so no helper constants are needed here.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <linux/falloc.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <linux/loop.h>
