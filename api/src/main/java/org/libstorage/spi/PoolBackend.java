package org.libstorage.spi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Optional;
import org.libstorage.BackendStatus;
import org.libstorage.PoolDefinition;
import org.libstorage.PoolSource;
import org.libstorage.PoolType;

/**
 * A pool type's implementation, found with {@link java.util.ServiceLoader}. Stateless: the
 * state of one pool lives in the {@link PoolDriver} it opens.
 */
public interface PoolBackend {
    /**
     * The pool type a provider class serves, readable without making it, so that the core makes
     * a backend only when a pool of its type is used (a backend found with no such annotation is
     * made at once to ask its {@link #type()}). It must equal what {@link #type()} returns.
     */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface Serves {
        PoolType value();
    }

    PoolType type();

    /** Whether this backend can run here (libraries present, kernel features there). Cheap to call again. */
    BackendStatus status();

    /**
     * Whether this backend can run here with the Storage's backend options (an engine option can
     * change what it needs). The core calls this one; the default ignores the options.
     */
    default BackendStatus status(BackendContext context) {
        return status();
    }

    /**
     * Checks what this type requires of a definition (a target path for dir, a source device
     * for fs, ...) and returns it, possibly with defaults filled in.
     *
     * @throws org.libstorage.StorageException {@code INVALID_DEFINITION} naming the field
     */
    PoolDefinition validate(PoolDefinition definition);

    /** A driver for one defined pool. Must not touch the system. */
    PoolDriver open(PoolDefinition definition, BackendContext context);

    default List<PoolSource> findPoolSources(Optional<PoolSource> hint) {
        throw Unsupported.operation(type(), "find-pool-sources");
    }

    /**
     * The pool sources found here, with the Storage's backend options and secrets (as
     * {@link #open} gets them). The core calls this one; the default ignores the context.
     */
    default List<PoolSource> findPoolSources(Optional<PoolSource> hint, BackendContext context) {
        return findPoolSources(hint);
    }
}
