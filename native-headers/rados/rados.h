/*
 * What libstorage uses from librados (Debian librados-dev, Ceph 16): a cluster handle
 * configured from a pool's <source> (monitors, cephx user and key, timeouts), connect and
 * shutdown, cluster and pool statistics, and an I/O context per pool and namespace.
 */
#include <stdint.h>
#include <stddef.h>
#include <rados/librados.h>
