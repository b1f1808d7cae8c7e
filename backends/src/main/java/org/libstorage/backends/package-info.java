/** Pool backends; each pool type's code is in its own subpackage. */
package org.libstorage.backends;
