package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertsException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code push-relay certs}: the command-line CA. The launcher calls {@link #main}; tests call
 * {@link #execute} with their own writers. Commands return 0 (ok), 1 (failed: one line
 * {@code ERROR: <what>: <cause>} on stderr, the stack trace only with {@code -v}) or 2 (usage:
 * a bad option or value, named in the message). Only {@code main} calls {@code System.exit}.
 */
@Command(name = "push-relay certs",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = ManifestVersion.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs ca create --dir ca",
            "  push-relay certs server create --ca ca --out tls --host api.push.apple.com",
            "  push-relay certs client create --ca ca --out tls --name relay-pre",
            "  push-relay certs inspect tls/server.pem",
            "  push-relay certs verify --ca ca/ca.pem --host api.push.apple.com \\",
            "      tls/server.pem",
            "  push-relay certs trust --ca ca/ca.pem",
            ""},
        synopsisHeading = "Usage: ",
        descriptionHeading = "%n",
        description = {
            "A private certificate authority for the relay: a CA whose critical name constraints permit only the push gateways' names (and loopback); the relay's TLS server certificates; client certificates for mutual TLS; and tools to inspect, verify and trust them. Existing files are never overwritten without --force."},
        commandListHeading = "%nCommands:%n",
        optionListHeading = "%nOptions:%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:failed (ERROR: <what>: <cause> on stderr; -v adds the stack trace)",
            "2:usage error (a missing or bad option or value)"},
        subcommands = {
            CaCommand.class,
            ServerCommand.class,
            ClientCommand.class,
            InspectCommand.class,
            VerifyCommand.class,
            TrustCommand.class})
public final class CertsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command line, printing to {@code out} and {@code err}; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = commandLine();
        commandLine.setOut(out);
        commandLine.setErr(err);
        try {
            return commandLine.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The configured command line: our error handlers, exit codes 0/1/2. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new CertsCommand());
        commandLine.setParameterExceptionHandler(CertsCommand::usageError);
        commandLine.setExecutionExceptionHandler(CertsCommand::failure);
        listCommandsByDescription(commandLine);
        return commandLine;
    }

    /**
     * Help starts with examples, which live in each command's header; picocli would also use
     * the header's first line to sum up a command in its parent's list, so list the first
     * line of the description instead.
     */
    private static void listCommandsByDescription(CommandLine commandLine) {
        commandLine.getCommandSpec().usageMessage().sectionMap()
                .put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, help -> {
                    StringBuilder out = new StringBuilder();
                    for (var entry : help.subcommands().entrySet()) {
                        String[] description = entry.getValue().commandSpec().usageMessage().description();
                        out.append(String.format("  %-9s %s%n", entry.getKey(),
                                description.length == 0 ? "" : description[0]));
                    }
                    return out.toString();
                });
        for (CommandLine sub : commandLine.getSubcommands().values()) {
            listCommandsByDescription(sub);
        }
    }

    @Override
    public Integer call() {
        throw missingCommand(spec);
    }

    /** For the noun commands ({@code ca}, {@code server}, ...), which do nothing without a verb. */
    static ParameterException missingCommand(CommandSpec spec) {
        return new ParameterException(spec.commandLine(), "missing command (one of: "
                + String.join(", ", spec.subcommands().keySet()) + ")");
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        err.println("ERROR: " + commandLine.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help'.");
        return 2;
    }

    private static int failure(Exception e, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        int code;
        if (e instanceof CertsException) {
            err.println("ERROR: " + e.getMessage());
            code = 1;
        } else if (e instanceof IllegalArgumentException) {
            // The API's own validation (LeafOptions, Options): a bad value, so a usage error.
            err.println("ERROR: " + commandLine.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help'.");
            code = 2;
        } else {
            err.println("ERROR: " + commandLine.getCommandSpec().qualifiedName() + ": " + e
                    + (verbose(parseResult) ? "" : " (-v shows the stack trace)"));
            code = 1;
        }
        if (verbose(parseResult)) {
            e.printStackTrace(err);
        }
        return code;
    }

    private static boolean verbose(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
