package io.pushrelay.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.scripts.RepoRoot;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** scripts/pre.example.yaml and scripts/post.example.yaml: they load, and they mention every key. */
class ExampleConfigsTest {
    @Test
    void thePreExampleShouldLoadAsTheDefaults() throws Exception {
        Path example = RepoRoot.script("pre.example.yaml");
        PreConfig c = ConfigLoader.load(example, PreConfig.class);
        assertEquals(Path.of("/etc/push-relay/pre/server.pem"), c.tls().cert());
        PreConfig defaults = new PreConfig(null, c.tls(), null, null, null, false, null, false, null, null, null, null);
        assertEquals(defaults, c, "the example's active values are the defaults");
        assertDocumentsEveryKey(example, PreConfig.class);
    }

    @Test
    void thePostExampleShouldLoadAsTheDefaults() throws Exception {
        Path example = RepoRoot.script("post.example.yaml");
        PostConfig c = ConfigLoader.load(example, PostConfig.class);
        PostConfig defaults = new PostConfig(null, c.tls(), false, null, null, null, null, false, null, null, null, null, null,
                null);
        assertEquals(defaults, c, "the example's active values are the defaults");
        assertDocumentsEveryKey(example, PostConfig.class);
        String text = Files.readString(example);
        assertTrue(text.contains("PRIVATE"), "the example says the default sources are private ranges");
    }

    @Test
    void theExamplesShouldLoadWithEveryOptionalSectionUncommented() throws Exception {
        // Commented-out settings are "#" plus the key's indentation; prose comments are "# " plus a capital or "(".
        for (Class<? extends Record> type : List.of(PreConfig.class, PostConfig.class)) {
            Path example = RepoRoot.script(type == PreConfig.class ? "pre.example.yaml" : "post.example.yaml");
            String uncommented = uncomment(Files.readString(example));
            Record c = ConfigLoader.parse(uncommented, example + " (uncommented)", example.getParent(), type);
            String rendered = ConfigLoader.render(c, true);
            for (String key : List.of("sni:", "proxy:", "password-file:", "apns-client-cert:", "routes:")) {
                assertTrue(rendered.contains(key), key + " in\n" + rendered);
            }
            if (c instanceof PreConfig pre) {
                assertTrue(pre.via() != null && pre.via().clientKey() != null);
            } else if (c instanceof PostConfig post) {
                assertFalse(post.allowClients().isEmpty());
            }
        }
    }

    /**
     * Turns the commented settings back on: "# key: value", "  # key:", "#   - item" (the text after
     * "# " starting like YAML), keeping the indentation on both sides of the "#". The https proxy
     * examples carry a ca, which needs an https url.
     */
    private static String uncomment(String text) {
        Pattern setting = Pattern.compile("^( *)# ?( *)([a-z][a-z0-9.-]*:( .*)?|- .*)$");
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n")) {
            var m = setting.matcher(line);
            out.append(m.matches() ? m.group(1) + m.group(2) + m.group(3) : line).append('\n');
        }
        return out.toString()
                .replace("url: http://relay@proxy.corp.example:3128", "url: https://relay@proxy.corp.example:3128")
                .replace("url: http://relay@egress.dmz.example:3128", "url: https://relay@egress.dmz.example:3128");
    }

    private static void assertDocumentsEveryKey(Path example, Class<?> type) throws Exception {
        String text = Files.readString(example);
        List<String> missing = new ArrayList<>();
        for (String key : keys(type)) {
            if (!Pattern.compile("(?m)^[#\\s-]*" + Pattern.quote(key) + ":").matcher(text).find()) {
                missing.add(key);
            }
        }
        assertEquals(List.of(), missing, example + " should mention every key");
    }

    private static List<String> keys(Type type) {
        List<String> out = new ArrayList<>();
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
        if (type instanceof ParameterizedType p && List.class.isAssignableFrom(raw)) {
            return keys(p.getActualTypeArguments()[0]);
        }
        if (!raw.isRecord() || ConfigLoader.isScalarType(raw)) {
            return out;
        }
        for (RecordComponent c : raw.getRecordComponents()) {
            out.add(KeyCheck.key(c));
            out.addAll(keys(c.getGenericType()));
        }
        return out;
    }
}
