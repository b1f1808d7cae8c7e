/**
 * What tests need from the machine, in one place: {@link org.libstorage.testing.Requirements}
 * (root, commands, files: skipped on a developer's machine, failed under {@code CI=true}) and
 * {@link org.libstorage.testing.RequiresKernel} (device-mapper, ZFS, the kernel iSCSI initiator:
 * the same rule, and the tag that sends the test to the QEMU lab). Published as the bindings
 * module's test-jar, which every other module's tests depend on.
 */
package org.libstorage.testing;
