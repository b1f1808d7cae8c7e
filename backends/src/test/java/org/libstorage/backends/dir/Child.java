package org.libstorage.backends.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@link JobChild} process: started, held at a stage, let go or killed. */
final class Child implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final Writer in;

    private Child(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** Starts {@code JobChild CONFIG STAGE ARGS...} and waits until it holds at {@code stage}. */
    static Child heldAt(Path config, String stage, String... args) throws IOException {
        Child child = start(config, stage, args);
        child.expect("AT " + stage);
        return child;
    }

    static Child start(Path config, String stage, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), JobChild.class.getName(), config.toString(), stage));
        command.addAll(List.of(args));
        return new Child(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    long pid() {
        return process.pid();
    }

    void expect(String line) throws IOException {
        assertEquals(line, out.readLine());
    }

    /** Lets the held operation go on and waits for it to report {@code DONE}. */
    void release() throws IOException, InterruptedException {
        in.write("\n");
        in.flush();
        expect("DONE");
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "the child did not exit");
    }

    /** {@code kill -9}, and waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(1, TimeUnit.MINUTES), "the child did not die");
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
