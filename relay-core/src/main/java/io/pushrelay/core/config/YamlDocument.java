package io.pushrelay.core.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * A YAML config file read into a tree, remembering the line of every key and list item, so that
 * an error found later (binding, validation) can still name its line. Duplicate keys are refused
 * here, with both lines.
 */
final class YamlDocument {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    final ObjectNode root;
    /** Key path ({@link KeyPath#display}) -> 1-based line. */
    final Map<String, Integer> lines;

    private YamlDocument(ObjectNode root, Map<String, Integer> lines) {
        this.root = root;
        this.lines = lines;
    }

    static YamlDocument empty() {
        return of(NODES.objectNode());
    }

    /** A tree that came from no file: no lines. */
    static YamlDocument of(ObjectNode root) {
        return new YamlDocument(root, new HashMap<>());
    }

    /** Parses {@code text}; {@code source} names it in errors. */
    static YamlDocument parse(YAMLFactory factory, String text, String source) throws ConfigException {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser p = factory.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return new YamlDocument(NODES.objectNode(), lines);
            }
            if (first != JsonToken.START_OBJECT) {
                throw new ConfigException(new ConfigException.Problem(source + ":" + line(p), "",
                        "expected a mapping of keys (listen: ..., tls: ...), got " + ConfigModule.describe(first)));
            }
            ObjectNode root = (ObjectNode) value(p, KeyPath.ROOT, lines, source);
            if (p.nextToken() != null) {
                throw new ConfigException(new ConfigException.Problem(source + ":" + line(p), "",
                        "a second YAML document; a config file holds one"));
            }
            return new YamlDocument(root, lines);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String where = at != null && at.getLineNr() > 0 ? source + ":" + at.getLineNr() : source;
            throw new ConfigException(new ConfigException.Problem(where, "", "YAML syntax: " + syntaxMessage(e.getOriginalMessage())));
        } catch (IOException e) {
            throw new ConfigException(new ConfigException.Problem(source, "", "cannot read: " + e.getMessage()));
        }
    }

    private static JsonNode value(JsonParser p, KeyPath path, Map<String, Integer> lines, String source)
            throws IOException, ConfigException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                ObjectNode node = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    int line = line(p);
                    KeyPath child = path.child(name);
                    if (node.has(name)) {
                        throw new ConfigException(new ConfigException.Problem(source + ":" + line, child.display(),
                                "duplicate key (first at line " + lines.get(child.display()) + ")"));
                    }
                    lines.put(child.display(), line);
                    p.nextToken();
                    node.set(name, value(p, child, lines, source));
                }
                return node;
            }
            case START_ARRAY -> {
                ArrayNode node = NODES.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    KeyPath child = path.child(i++);
                    lines.put(child.display(), line(p));
                    node.add(value(p, child, lines, source));
                }
                return node;
            }
            case VALUE_STRING -> {
                return NODES.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return NODES.numberNode(p.getDecimalValue());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return NODES.booleanNode(t == JsonToken.VALUE_TRUE);
            }
            case VALUE_NULL -> {
                return NODES.nullNode();
            }
            default -> throw new ConfigException(new ConfigException.Problem(source + ":" + line(p), path.display(),
                    "unsupported YAML value (" + t + ")"));
        }
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    /**
     * SnakeYAML's message without its excerpt: the lines that say what (context, problem), not
     * the indented quote of the file nor the {@code in 'reader', line …} positions.
     */
    private static String syntaxMessage(String message) {
        if (message == null) {
            return "malformed";
        }
        String said = message.lines()
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .map(String::strip)
                .collect(java.util.stream.Collectors.joining("; "));
        return said.isEmpty() ? message.strip() : said;
    }

    /** The line of {@code path}, or of its closest ancestor in the file; 0 when none is. */
    int lineOf(KeyPath path) {
        for (KeyPath p = path; !p.isRoot(); p = p.parent()) {
            Integer line = lines.get(p.display());
            if (line != null) {
                return line;
            }
        }
        return 0;
    }
}
