/** A safe command runner and parsers for tools without a library. */
package org.libstorage.fallback;
