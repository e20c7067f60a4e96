package io.pushrelay.certs.cli;

import picocli.CommandLine.Option;

/** {@code -v}: show the stack trace of an error. Read by {@link CertsCommand}'s error handler. */
public final class VerboseMixin {
    @Option(names = {"-v", "--verbose"}, description = "On error, also print the stack trace.")
    boolean verbose;
}
