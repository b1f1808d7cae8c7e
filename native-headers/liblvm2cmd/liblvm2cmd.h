/*
 * What libstorage uses from liblvm2cmd, LVM's command engine as a library (liblvm2app was
 * removed in LVM 2.03): one handle, a log callback that receives every message and the
 * JSON report line by line, and lvm2_run. umask() comes along because lvm2_run changes the
 * process umask and the wrapper restores it after each call.
 */
#include <sys/stat.h>
#include <lvm2cmd.h>
/* (The folder is named liblvm2cmd, not lvm2cmd, so this wrapper's name cannot shadow
 * <lvm2cmd.h>: regenerate runs jextract from inside the folder.) */
