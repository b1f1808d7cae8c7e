/** JMH benchmarks and side-by-side harnesses. */
package org.libstorage.benchmarks;
