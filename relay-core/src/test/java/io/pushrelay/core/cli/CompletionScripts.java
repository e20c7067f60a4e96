package io.pushrelay.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pushrelay.core.testing.ExternalProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Runs a generated completion script in a real bash and asks it for completions. */
public final class CompletionScripts {
    private CompletionScripts() {
    }

    /** {@code complete -p push-relay} after sourcing the bash script. */
    public static String registration(Path dir) throws IOException {
        Path script = write(dir);
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(20), Map.of(),
                List.of("bash", "-c", "source '" + script + "' && complete -p push-relay"));
        assertEquals(0, r.exitCode(), r.output());
        return r.output().strip();
    }

    /** What bash offers for the command line {@code words} (the last word is being completed). */
    public static List<String> complete(Path dir, String... words) throws IOException {
        Path script = write(dir);
        StringBuilder array = new StringBuilder();
        for (String w : words) {
            array.append(" '").append(w).append("'");
        }
        String line = String.join(" ", words);
        String bash = "source '" + script + "' 2>/dev/null; COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1)
                + "; COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; _complete_push-relay push-relay '"
                + words[words.length - 1] + "' '" + words[words.length - 2] + "' 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"";
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(20), Map.of(), List.of("bash", "-c", bash));
        assertEquals(0, r.exitCode(), r.output());
        return Arrays.stream(r.output().split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static Path write(Path dir) throws IOException {
        Path script = dir.resolve("push-relay.bash");
        if (!Files.exists(script)) {
            Files.writeString(script, CompletionCommand.script(CompletionCommand.Shell.bash), StandardCharsets.UTF_8);
        }
        return script;
    }
}
