package io.pushrelay.core.check;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A Picocli model transformer for a role command ({@code push-relay pre}, {@code post}): gives its
 * {@code check} subcommand every option of the role itself, bound to the role's own fields, so
 * that {@code push-relay pre check --config FILE --proxy URL} fills in exactly what
 * {@code push-relay pre --config FILE --proxy URL} would, and the role's flag-to-config code
 * serves both. Use: {@code @Command(subcommands = XCheckCommand.class, modelTransformer =
 * ParentFlags.class)}. Help and version options stay the subcommand's own; running it twice (a
 * completion script wraps the command again) adds nothing twice.
 */
public final class ParentFlags implements CommandLine.IModelTransformer {
    public static final String SUBCOMMAND = "check";

    @Override
    public CommandSpec transform(CommandSpec role) {
        CommandLine check = role.subcommands().get(SUBCOMMAND);
        if (check == null) {
            return role;
        }
        CommandSpec spec = check.getCommandSpec();
        for (OptionSpec option : role.options()) {
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            if (Arrays.stream(option.names()).anyMatch(name -> spec.optionsMap().containsKey(name))) {
                continue;
            }
            spec.addOption(OptionSpec.builder(option).build());
        }
        return role;
    }
}
