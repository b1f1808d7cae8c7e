/** The storagectl command. */
package org.libstorage.storagectl;
