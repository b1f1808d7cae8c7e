/** Safe wrappers over the system's storage libraries: one class per library. */
package org.libstorage.nativelib;
