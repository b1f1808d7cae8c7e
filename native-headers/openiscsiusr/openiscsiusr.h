/*
 * What libstorage uses from libopeniscsiusr (libopeniscsiusr.so.0, Debian libopeniscsiusr,
 * open-iscsi's own library): reading the kernel initiator's sessions from sysfs in-process
 * (sid, target, portal, interface). open-iscsi has no public library for discovery or login;
 * those stay with iscsiadm.
 */
#include <libopeniscsiusr.h>
