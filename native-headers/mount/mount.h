/*
 * libmount (libmount.so.1, Debian libmount1): the mount table (mountinfo) iteration and the
 * mount context that mounts and unmounts as mount(8) and umount(8) do.
 */
#include <libmount/libmount.h>
