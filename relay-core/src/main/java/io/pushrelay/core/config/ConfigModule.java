package io.pushrelay.core.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the config's value types read and write as YAML scalars: durations as {@code 10s},
 * addresses as {@code HOST:PORT}, paths as plain paths (relative ones resolved against the config
 * file's folder), proxy URLs with their password redacted unless the writer is told otherwise.
 */
final class ConfigModule extends SimpleModule {
    /** Reader attribute: the folder relative paths are resolved against (a {@link Path}). */
    static final String BASE_DIR = "push-relay.base-dir";
    /** Writer attribute: {@link Boolean#FALSE} writes passwords; anything else redacts them. */
    static final String REDACT = "push-relay.redact";

    ConfigModule() {
        super("push-relay-config");
        addDeserializer(Duration.class, new TextDeserializer<>(Duration.class, "a duration such as 10s, 500ms or 5m",
                (text, ctxt) -> Durations.parse(text)));
        addDeserializer(HostPort.class, new TextDeserializer<>(HostPort.class, "HOST:PORT (quote IPv6: \"[::1]:443\")",
                (text, ctxt) -> HostPort.parse(text)));
        addDeserializer(Cidr.class, new TextDeserializer<>(Cidr.class, "an address range such as 10.0.0.0/8",
                (text, ctxt) -> Cidr.parse(text)));
        addDeserializer(EndpointUrl.class, new TextDeserializer<>(EndpointUrl.class, "http(s)://HOST:PORT",
                (text, ctxt) -> EndpointUrl.parse(text)));
        addDeserializer(Path.class, new TextDeserializer<>(Path.class, "a file path", ConfigModule::path));
        addDeserializer(AccessLog.class, new TextDeserializer<>(AccessLog.class, "stdout, off or a file path",
                ConfigModule::accessLog));
        addDeserializer(LogFormat.class, enumDeserializer(LogFormat.class, LogFormat.values()));
        addDeserializer(LogLevel.class, enumDeserializer(LogLevel.class, LogLevel.values()));

        addSerializer(Duration.class, new StdSerializer<>(Duration.class) {
            @Override
            public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeString(Durations.format(value));
            }
        });
        addSerializer(EndpointUrl.class, new StdSerializer<>(EndpointUrl.class) {
            @Override
            public void serialize(EndpointUrl value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeString(value.render(!Boolean.FALSE.equals(provider.getAttribute(REDACT))));
            }
        });
        addSerializer(HostPort.class, ToStringSerializer.instance);
        addSerializer(Cidr.class, ToStringSerializer.instance);
        addSerializer(AccessLog.class, ToStringSerializer.instance);
        addSerializer(Path.class, ToStringSerializer.instance);
        addSerializer(LogFormat.class, ToStringSerializer.instance);
        addSerializer(LogLevel.class, ToStringSerializer.instance);
    }

    private static Path path(String text, DeserializationContext ctxt) {
        if (text.isBlank()) {
            throw new InvalidValueException("expected a file path, got nothing");
        }
        try {
            Path p = Path.of(text.strip());
            Object base = ctxt.getAttribute(BASE_DIR);
            if (!p.isAbsolute()) {
                p = (base instanceof Path b ? b : Path.of("").toAbsolutePath()).resolve(p);
            }
            return p.normalize();
        } catch (InvalidPathException e) {
            throw new InvalidValueException("not a file path: " + e.getReason());
        }
    }

    private static AccessLog accessLog(String text, DeserializationContext ctxt) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "stdout" -> AccessLog.STDOUT;
            // YAML 1.1 readers see a bare "off" as false.
            case "off", "false" -> AccessLog.OFF;
            default -> AccessLog.file(path(text, ctxt));
        };
    }

    private static <E extends Enum<E>> TextDeserializer<E> enumDeserializer(Class<E> type, E[] values) {
        String names = Arrays.stream(values).map(Object::toString).collect(Collectors.joining(", "));
        return new TextDeserializer<>(type, "one of " + names, (text, ctxt) -> {
            for (E v : values) {
                if (v.toString().equalsIgnoreCase(text.strip())) {
                    return v;
                }
            }
            throw new InvalidValueException("expected one of " + names + ", got '" + text + "'");
        });
    }

    /** What a YAML value is, for messages: {@code a list}, {@code a mapping}. */
    static String describe(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "a list";
            case START_OBJECT -> "a mapping";
            case VALUE_NULL -> "nothing";
            default -> "a " + token.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        };
    }

    /** A value written as a YAML scalar (text, number or boolean) and parsed from its text. */
    static final class TextDeserializer<T> extends StdScalarDeserializer<T> {
        private final String expected;
        private final Parser<T> parser;

        interface Parser<T> {
            T parse(String text, DeserializationContext ctxt);
        }

        TextDeserializer(Class<T> type, String expected, Parser<T> parser) {
            super(type);
            this.expected = expected;
            this.parser = parser;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            if (t != null && t.isScalarValue() && t != JsonToken.VALUE_EMBEDDED_OBJECT) {
                return parser.parse(p.getText(), ctxt);
            }
            throw new InvalidValueException("expected " + expected + ", got " + (t == null ? "nothing" : describe(t)));
        }
    }
}
