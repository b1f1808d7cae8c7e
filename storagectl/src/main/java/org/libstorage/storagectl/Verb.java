package org.libstorage.storagectl;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.libstorage.ErrorCode;
import org.libstorage.PoolInfo;
import org.libstorage.PoolType;
import org.libstorage.StorageException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.TypeConversionException;

/** What every verb has: the root command (storage, output, options) and a way to read input files. */
abstract class Verb implements Callable<Integer> {
    @ParentCommand
    Storagectl root;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        execute();
        root.out().flush();
        return 0;
    }

    abstract void execute() throws Exception;

    /** A pool's state as storagectl prints it ({@code running}, {@code inactive}, ...). */
    static String state(PoolInfo info) {
        return info.state().name().toLowerCase(Locale.ROOT);
    }

    /** A usage error of this verb: exit status 2 and a pointer to its help. */
    ParameterException usageError(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    PrintWriter out() {
        return root.out();
    }

    /** The text of an XML file the user named; a missing, unreadable, huge or non-UTF-8 one is bad input. */
    static String readInput(Path file) {
        return InputFiles.readText(file);
    }

    /** Reads pool types by their libvirt names (dir, fs, logical, ...). */
    static final class PoolTypeConverter implements ITypeConverter<PoolType> {
        @Override
        public PoolType convert(String value) {
            return PoolType.fromXmlName(value).orElseThrow(() -> new TypeConversionException("'" + value
                    + "' is not a pool type; the types are " + Arrays.stream(PoolType.values())
                    .map(PoolType::xmlName).collect(Collectors.joining(", "))));
        }
    }
}
