package io.pushrelay.pre;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.cli.CompletionScripts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code push-relay completion bash} with relay-pre on the class path: {@code pre} and {@code pre check} complete in bash. */
class PreCompletionTest {
    @TempDir
    Path dir;

    @Test
    void bashShouldCompletePreAndItsCheckSubcommand() throws IOException {
        assertEquals("complete -o default -F _complete_push-relay push-relay", CompletionScripts.registration(dir));
        assertTrue(CompletionScripts.complete(dir, "push-relay", "").containsAll(List.of("certs", "pre", "sim", "completion")));
        assertEquals(List.of("check"), CompletionScripts.complete(dir, "push-relay", "pre", "ch"));
        assertTrue(CompletionScripts.complete(dir, "push-relay", "pre", "--pro").containsAll(List.of("--proxy",
                "--proxy-password-file", "--proxy-ca")));
        List<String> checkFlags = CompletionScripts.complete(dir, "push-relay", "pre", "check", "--s");
        assertTrue(checkFlags.containsAll(List.of("--skip", "--send-test")), checkFlags.toString());
        assertTrue(CompletionScripts.complete(dir, "push-relay", "pre", "check", "--upstream").contains("--upstream-ca"));
    }
}
