package io.pushrelay.certs.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@link CertsCommand} in this JVM with captured stdout and stderr. */
final class Cli {
    private Cli() {
    }

    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = CertsCommand.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs and insists on exit 0, showing the output when it was not. */
    static Run ok(String... args) {
        Run run = run(args);
        if (run.code() != 0) {
            throw new AssertionError("expected exit 0 from " + String.join(" ", args) + "\n" + run);
        }
        return run;
    }
}
