package io.pushrelay.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code push-relay completion}: the script loads in a real bash and completes the commands this
 * module's class path holds (certs, sim, demo, completion; relay-pre's test checks {@code pre check}).
 */
class CompletionCommandTest {
    @TempDir
    Path dir;

    @Test
    void bashScriptShouldRegisterAndCompleteCommandsAndOptions() throws IOException {
        assertEquals("complete -o default -F _complete_push-relay push-relay", CompletionScripts.registration(dir));
        List<String> top = CompletionScripts.complete(dir, "push-relay", "");
        assertTrue(top.containsAll(List.of("certs", "sim", "demo", "completion")), top.toString());
        assertFalse(top.contains("pre"), "relay-pre is not on relay-core's class path: " + top);
        assertTrue(CompletionScripts.complete(dir, "push-relay", "certs", "server", "").contains("create"));
        assertEquals(List.of("bash", "zsh"), CompletionScripts.complete(dir, "push-relay", "completion", ""));
        assertTrue(CompletionScripts.complete(dir, "push-relay", "sim", "apns", "--lis").contains("--listen"));
    }

    @Test
    void zshScriptShouldBeTheBashScriptBehindBashcompinit() {
        String zsh = CompletionCommand.script(CompletionCommand.Shell.zsh);
        assertTrue(zsh.startsWith("# push-relay completion for zsh"), zsh.substring(0, 200));
        assertFalse(zsh.contains("#!/usr/bin/env bash"));
        assertTrue(zsh.contains("autoload -U +X bashcompinit && bashcompinit"));
        assertTrue(zsh.contains("complete -F _complete_push-relay -o default push-relay"));
    }

    @Test
    void aCommandWhoseModelCannotBeBuiltShouldBeLeftOutWithANote() {
        List<String> leftOut = new java.util.ArrayList<>();
        java.util.Map<String, String> commands = new java.util.LinkedHashMap<>();
        commands.put("certs", "io.pushrelay.certs.cli.CertsCommand");
        commands.put("odd", Unbuildable.class.getName());
        commands.put("gone", "io.pushrelay.nowhere.GoneCommand");
        picocli.CommandLine top = CompletionCommand.topLevel(commands, leftOut);
        assertEquals(List.of("certs", "completion"), List.copyOf(top.getSubcommands().keySet()));
        assertEquals(1, leftOut.size(), leftOut.toString());
        assertTrue(leftOut.get(0).startsWith("odd (" + Unbuildable.class.getName() + "): "), leftOut.get(0));
    }

    /** A command Picocli cannot instantiate: its only constructor takes an int. */
    @picocli.CommandLine.Command(name = "odd")
    static final class Unbuildable implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        Object parent;

        Unbuildable(int ignored) {
        }

        @Override
        public Integer call() {
            return 0;
        }
    }

    @Test
    void cliShouldPrintTheScriptAndRefuseOtherShells() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, CompletionCommand.run(new PrintWriter(out), new PrintWriter(err), "bash"));
        assertTrue(out.toString().startsWith("#!/usr/bin/env bash"), out.toString().substring(0, 100));
        out.getBuffer().setLength(0);
        assertEquals(2, CompletionCommand.run(new PrintWriter(out), new PrintWriter(err), "fish"));
        assertTrue(err.toString().startsWith("ERROR: push-relay completion: Invalid value for positional parameter"),
                err.toString());
        assertEquals(0, CompletionCommand.run(new PrintWriter(out, true), new PrintWriter(err), "--help"));
        assertTrue(out.toString().contains("source <(push-relay completion bash)"), out.toString());
    }
}
