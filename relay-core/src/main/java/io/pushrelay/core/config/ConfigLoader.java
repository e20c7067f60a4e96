package io.pushrelay.core.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a role's YAML config file into its immutable record ({@link PreConfig},
 * {@link PostConfig}), with command-line overrides on top, and writes a config back as YAML.
 *
 * <p>Keys are kebab-case; unknown keys, malformed values and broken rules are refused, every
 * unknown key at once plus the first bad value, each as {@code config FILE:LINE: KEY.PATH: problem}
 * ({@link ConfigException}). Relative paths in a file are resolved against the file's folder. The
 * loader touches no file but the config itself; {@link FileCheck} checks the files it names.
 * Thread-safe: static methods over one immutable mapper.
 */
public final class ConfigLoader {
    /** Value types written as one YAML scalar although some are records. */
    private static final Set<Class<?>> SCALARS = Set.of(HostPort.class, Cidr.class, EndpointUrl.class, AccessLog.class,
            Duration.class, Path.class, LogFormat.class, LogLevel.class, String.class);

    private static final YAMLFactory YAML = YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .build();

    private static final ObjectMapper MAPPER = YAMLMapper.builder(YAML)
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .addModule(new ConfigModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // An absent or empty boolean is false, its default; FAIL_ON_NULL_FOR_PRIMITIVES would refuse an absent one.
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_EMPTY, JsonInclude.Include.NON_EMPTY))
            .build();

    private ConfigLoader() {
    }

    /** Loads {@code file} as a {@code type} ({@code PreConfig.class}, {@code PostConfig.class}). */
    public static <T extends Record> T load(Path file, Class<T> type) throws ConfigException {
        return load(file, type, ConfigOverrides.none());
    }

    /**
     * Loads {@code file} with {@code overrides} laid over it; {@code file} may be null (flags and
     * defaults only).
     */
    public static <T extends Record> T load(Path file, Class<T> type, ConfigOverrides overrides) throws ConfigException {
        if (file == null) {
            return bind(YamlDocument.empty(), "command line", null, type, overrides);
        }
        Path absolute = file.toAbsolutePath().normalize();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(absolute))).toString();
        } catch (NoSuchFileException e) {
            throw new ConfigException(new ConfigException.Problem(file.toString(), "", "no such file"));
        } catch (CharacterCodingException e) {
            throw new ConfigException(new ConfigException.Problem(file.toString(), "", "not UTF-8 text"));
        } catch (IOException e) {
            throw new ConfigException(new ConfigException.Problem(file.toString(), "", "cannot read: " + e.getMessage()));
        }
        return bind(YamlDocument.parse(YAML, text, file.toString()), file.toString(), absolute.getParent(), type, overrides);
    }

    /**
     * Loads YAML text (tests, or a config from elsewhere); {@code source} names it in errors and
     * relative paths resolve against {@code baseDir} (null: the working directory).
     */
    public static <T extends Record> T parse(String yaml, String source, Path baseDir, Class<T> type) throws ConfigException {
        return bind(YamlDocument.parse(YAML, yaml, source), source, baseDir == null ? null : baseDir.toAbsolutePath(), type,
                ConfigOverrides.none());
    }

    /** {@code config} with {@code overrides} laid over it, checked again. */
    @SuppressWarnings("unchecked")
    public static <T extends Record> T override(T config, ConfigOverrides overrides) throws ConfigException {
        ObjectNode tree = (ObjectNode) toTree(config, false);
        return bind(YamlDocument.of(tree), "config", null, (Class<T>) config.getClass(), overrides);
    }

    /**
     * The config as YAML, defaults filled in: what the relay actually runs with. With
     * {@code redacted}, passwords read {@code REDACTED} (paths of password files are shown as
     * they are); loading the unredacted text gives an equal config.
     */
    public static String render(Record config, boolean redacted) {
        try {
            return MAPPER.writer().withAttribute(ConfigModule.REDACT, redacted).writeValueAsString(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isScalarType(Class<?> type) {
        return SCALARS.contains(type) || type.isEnum();
    }

    private static JsonNode toTree(Record config, boolean redacted) {
        try (TokenBuffer buffer = new TokenBuffer(MAPPER, false)) {
            MAPPER.writer().withAttribute(ConfigModule.REDACT, redacted).writeValue((JsonGenerator) buffer, config);
            return MAPPER.readTree(buffer.asParser());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T bind(YamlDocument doc, String source, Path baseDir, Class<T> type, ConfigOverrides overrides)
            throws ConfigException {
        ObjectNode tree = doc.root.deepCopy();
        overrides.applyTo(tree);
        List<Located> problems = new ArrayList<>();
        for (KeyCheck.Unknown u : KeyCheck.prune(tree, type)) {
            String name = (String) u.path().segments().get(u.path().segments().size() - 1);
            String suggestion = KeyCheck.suggest(name, u.known());
            problems.add(locate(doc, source, overrides, u.path(),
                    "unknown key" + (suggestion != null ? " (did you mean '" + suggestion + "'?)"
                            : "; known here: " + String.join(", ", u.known()))));
        }
        T value = null;
        try {
            ObjectReader reader = MAPPER.readerFor(type);
            if (baseDir != null) {
                reader = reader.withAttribute(ConfigModule.BASE_DIR, baseDir);
            }
            value = reader.readValue(reader.treeAsTokens(tree));
        } catch (JsonMappingException e) {
            problems.add(fromJackson(e, doc, tree, source, overrides));
        } catch (InvalidValueException e) {
            problems.add(locate(doc, source, overrides, KeyPath.parse(e.key()), e.problem()));
        } catch (IOException e) {
            problems.add(new Located(new ConfigException.Problem(source, "", e.getMessage()), 0));
        }
        if (!problems.isEmpty()) {
            problems.sort(Comparator.comparingInt(Located::line));
            throw new ConfigException(problems.stream().map(Located::problem).toList());
        }
        return value;
    }

    /** A problem and its line, for sorting in file order (0 first: no line). */
    private record Located(ConfigException.Problem problem, int line) {
    }

    private static Located locate(YamlDocument doc, String source, ConfigOverrides overrides, KeyPath path, String message) {
        String flag = overrides.sourceOf(path);
        if (flag != null) {
            return new Located(new ConfigException.Problem("flag " + flag, path.display(), message), 0);
        }
        int line = doc.lineOf(path);
        return new Located(new ConfigException.Problem(line > 0 ? source + ":" + line : source, path.display(), message), line);
    }

    private static Located fromJackson(JsonMappingException e, YamlDocument doc, JsonNode tree, String source,
                                       ConfigOverrides overrides) {
        List<Object> segments = new ArrayList<>();
        for (JsonMappingException.Reference r : e.getPath()) {
            segments.add(r.getFieldName() != null ? r.getFieldName() : (Object) r.getIndex());
        }
        KeyPath path = KeyPath.of(segments);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidValueException iv) {
                return locate(doc, source, overrides, path.resolve(KeyPath.parse(iv.key())), iv.problem());
            }
        }
        return locate(doc, source, overrides, path, explain(e, at(tree, path)));
    }

    private static String explain(JsonMappingException e, JsonNode value) {
        if (e instanceof UnrecognizedPropertyException) {
            return "unknown key";
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return "expected " + expected(m.getTargetType()) + ", got " + shown(e instanceof InvalidFormatException f ? f.getValue() : value);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root instanceof JacksonException j ? j.getOriginalMessage() : root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }

    private static String expected(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "text";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a mapping of keys";
        }
        return type.getSimpleName();
    }

    private static String shown(Object value) {
        if (value instanceof JsonNode n) {
            if (n.isObject()) {
                return "a mapping";
            }
            if (n.isArray()) {
                return "a list";
            }
            if (n.isNull() || n.isMissingNode()) {
                return "nothing";
            }
            return "'" + n.asText() + "'";
        }
        return value == null ? "nothing" : "'" + value + "'";
    }

    private static JsonNode at(JsonNode tree, KeyPath path) {
        JsonNode n = tree;
        for (Object s : path.segments()) {
            if (n == null) {
                return null;
            }
            n = s instanceof Integer i ? n.get(i) : n.get((String) s);
        }
        return n;
    }
}
