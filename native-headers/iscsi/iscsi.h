/*
 * What libstorage uses from libiscsi (Debian libiscsi-dev 1.19): contexts, the synchronous
 * connect/login/discovery calls, the SCSI commands a user-space initiator pool needs
 * (REPORT LUNS, INQUIRY, READ CAPACITY(16), READ/WRITE(16), WRITE SAME(16), UNMAP) and the
 * structures their replies unmarshal into. scsi-lowlevel.h is included by iscsi.h itself;
 * naming it keeps the task and sense layouts visible to jextract.
 */
#include <stdint.h>
#include <stddef.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
