package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAware;
import ch.qos.logback.core.spi.LifeCycle;
import io.pushrelay.core.config.AccessLog;
import io.pushrelay.core.config.LogFormat;
import io.pushrelay.core.config.LogLevel;
import io.pushrelay.core.config.LogSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Configures Logback for a relay process from its {@link LogSettings}, in code; replaces
 * whatever configuration Logback started with ({@code logback.xml}, which gives the same
 * result as {@link LogSettings#DEFAULTS} until this runs).
 *
 * <ul>
 *   <li><b>Operational log</b>: the root logger, at {@link LogSettings#level()}, to
 *       <b>stderr</b>, in {@link TextLayout text} or {@link JsonLayout JSON}.
 *       {@value #NETTY_LOGGER} is at WARN when the level is INFO and follows the level
 *       otherwise (ERROR, WARN, DEBUG, TRACE).</li>
 *   <li><b>Access log</b>: the logger {@value #ACCESS_LOGGER} (INFO whatever the root level,
 *       additivity off, so its lines never reach the operational log) to <b>stdout</b>, to a
 *       file ({@link ReopenableFileAppender}: append, created 0640, {@link #reopen()}), or
 *       nowhere ({@code off}: the logger is OFF, so {@code isInfoEnabled()} is false and
 *       callers skip formatting). Text is the message alone (it is a whole line already);
 *       JSON is the same object as the operational log's. Lines logged on an event loop are
 *       queued and written in batches by a thread of their own ({@link AsyncAccessAppender},
 *       named {@value #ACCESS_APPENDER}; a full queue drops lines and says so), others at once.</li>
 *   <li><b>Safety net</b>: both layouts pass every string through {@link Redactor}
 *       (device tokens cut, {@code authorization} values, bearer credentials and JWTs
 *       replaced); {@link PayloadDumpFilter} denies Netty's hex-dumping wire loggers.</li>
 * </ul>
 *
 * <p>Under systemd both streams go to the journal; the access log on stdout and the
 * operational log on stderr keep them apart for anyone reading the process's output
 * directly ({@code 2>/dev/null}, {@code | tee access.log}).
 *
 * <p>The first {@link #configure} resets the context (dropping the {@code logback.xml}
 * appenders) and installs its own. It is idempotent and may be called again on reload: the same settings
 * change nothing; new ones replace only the outputs that differ, attaching the new appender
 * before detaching and stopping the old, so no event is dropped (one logged at that instant
 * may be written by both). An unchanged access log file is not reopened by
 * {@link #configure}; call {@link #reopen()} for that. Both methods are thread-safe (one lock).
 * The state lives in the {@link LoggerContext}, so a Logback reset by anyone else (a test
 * restoring its configuration) is noticed and the next call configures from scratch.
 */
public final class LogSetup {
    /** The access log's logger. */
    public static final String ACCESS_LOGGER = "push-relay.access";
    /** Netty's loggers: WARN when the relay's level is INFO, the relay's level otherwise. */
    public static final String NETTY_LOGGER = "io.netty";
    /** Name of the operational appender (on the root logger). */
    public static final String OPERATIONAL_APPENDER = "push-relay-stderr";
    /** Name of the access appender (on {@value #ACCESS_LOGGER}). */
    public static final String ACCESS_APPENDER = "push-relay-access";

    private static final String STATE_KEY = LogSetup.class.getName();
    /** Lines dropped by access appenders that {@link #configure} has since replaced (under the class lock). */
    private static volatile long droppedByReplacedAppenders;

    private LogSetup() {
    }

    /**
     * Applies {@code settings} to the Logback context SLF4J is bound to, writing to
     * {@link System#out} and {@link System#err}.
     *
     * @throws UncheckedIOException the access log file cannot be opened (for writing, in
     *                              append mode); the previous configuration stays as it was
     * @throws IllegalStateException SLF4J is not bound to Logback
     */
    public static void configure(LogSettings settings) {
        configure(boundContext(), settings, () -> System.out, () -> System.err);
    }

    /**
     * Reopens the access log file at its configured path (after logrotate moved it away);
     * nothing when the access log is stdout or off, or before {@link #configure}.
     *
     * @return true when a file was reopened
     * @throws UncheckedIOException the file cannot be opened; the previous one stays in use
     */
    public static boolean reopen() {
        return reopen(boundContext());
    }

    /**
     * Access-log lines dropped because the writer fell behind, since the JVM started: those of
     * every access appender this class installed, replaced ones included, so the value only grows
     * (a Prometheus counter). 0 before {@link #configure} or when the access log is off.
     */
    public static long accessLinesDropped() {
        State state = state(boundContextOrNull());
        long now = state != null && state.access instanceof AsyncAccessAppender async ? async.dropped() : 0;
        return droppedByReplacedAppenders + now;
    }

    private static LoggerContext boundContextOrNull() {
        return LoggerFactory.getILoggerFactory() instanceof LoggerContext c ? c : null;
    }

    /** The settings last applied, or null when {@link #configure} has not run (or Logback was reset since). */
    public static LogSettings current() {
        State state = state(boundContext());
        return state == null ? null : state.settings;
    }

    /** {@link #configure(LogSettings)} on a given context and streams; tests use a private context and captured streams. */
    static void configure(LoggerContext context, LogSettings settings,
                          Supplier<? extends OutputStream> stdout, Supplier<? extends OutputStream> stderr) {
        Objects.requireNonNull(settings, "settings");
        synchronized (LogSetup.class) {
            State old = state(context);
            if (old != null && old.settings.equals(settings)) {
                return;
            }
            // Open the new outputs first: a file that cannot be opened leaves everything as it was.
            boolean sameFormat = old != null && old.settings.format() == settings.format();
            Appender<ILoggingEvent> access = sameFormat && old.settings.accessLog().equals(settings.accessLog())
                    ? old.access
                    : accessAppender(context, settings, stdout);
            Appender<ILoggingEvent> operational = sameFormat
                    ? old.operational
                    : streamAppender(context, OPERATIONAL_APPENDER, settings.format(), false, stderr);

            if (old == null) {
                context.reset();
                context.addTurboFilter(started(new PayloadDumpFilter(), context));
            }
            Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            Logger accessLogger = context.getLogger(ACCESS_LOGGER);
            accessLogger.setAdditive(false);
            swap(root, old == null ? null : old.operational, operational);
            swap(accessLogger, old == null ? null : old.access, access);
            if (old != null && old.access != access && old.access instanceof AsyncAccessAppender replaced
                    && context == boundContextOrNull()) {
                droppedByReplacedAppenders += replaced.dropped();
            }

            root.setLevel(level(settings.level()));
            // Netty's INFO is start-up chatter; at every other level it follows the relay's.
            context.getLogger(NETTY_LOGGER).setLevel(settings.level() == LogLevel.INFO ? Level.WARN : null);
            accessLogger.setLevel(access == null ? Level.OFF : Level.INFO);
            context.putObject(STATE_KEY, new State(settings, operational, access));
        }
    }

    static boolean reopen(LoggerContext context) {
        synchronized (LogSetup.class) {
            State state = state(context);
            if (state == null || !(state.access instanceof AsyncAccessAppender async)
                    || !(async.target() instanceof ReopenableFileAppender file)) {
                return false;
            }
            try {
                file.reopen();
            } catch (IOException e) {
                throw new UncheckedIOException("access log " + file.file() + ": reopen: " + describe(e), e);
            }
            return true;
        }
    }

    private static LoggerContext boundContext() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof LoggerContext context) {
            return context;
        }
        throw new IllegalStateException("SLF4J is bound to " + factory.getClass().getName() + ", not Logback");
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.toString();
    }

    private static State state(LoggerContext context) {
        if (context == null) {
            return null;
        }
        return context.getObject(STATE_KEY) instanceof State s ? s : null;
    }

    private static Level level(LogLevel level) {
        return switch (level) {
            case ERROR -> Level.ERROR;
            case WARN -> Level.WARN;
            case INFO -> Level.INFO;
            case DEBUG -> Level.DEBUG;
            case TRACE -> Level.TRACE;
        };
    }

    private static void swap(Logger logger, Appender<ILoggingEvent> old, Appender<ILoggingEvent> replacement) {
        if (old == replacement) {
            return;
        }
        if (replacement != null) {
            logger.addAppender(replacement);
        }
        if (old != null) {
            logger.detachAppender(old);
            old.stop();
        }
    }

    private static Appender<ILoggingEvent> accessAppender(LoggerContext context, LogSettings settings,
                                                          Supplier<? extends OutputStream> stdout) {
        AccessLog target = settings.accessLog();
        BatchingStreamAppender output = switch (target.kind()) {
            case OFF -> null;
            case STDOUT -> {
                BatchingStreamAppender appender = new BatchingStreamAppender();
                appender.setOutputStream(new ConsoleStream(stdout));
                yield configured(appender, context, ACCESS_APPENDER + "-output", settings.format(), true);
            }
            case FILE -> {
                ReopenableFileAppender file;
                try {
                    file = new ReopenableFileAppender(target.file());
                } catch (IOException e) {
                    throw new UncheckedIOException("access log " + target.file() + ": " + describe(e), e);
                }
                yield configured(file, context, ACCESS_APPENDER + "-output", settings.format(), true);
            }
        };
        if (output == null) {
            return null;
        }
        AsyncAccessAppender async = new AsyncAccessAppender(output, AsyncAccessAppender.DEFAULT_CAPACITY);
        async.setContext(context);
        async.setName(ACCESS_APPENDER);
        async.start();
        return async;
    }

    private static Appender<ILoggingEvent> streamAppender(LoggerContext context, String name, LogFormat format,
                                                          boolean access, Supplier<? extends OutputStream> stream) {
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setOutputStream(new ConsoleStream(stream));
        return configured(appender, context, name, format, access);
    }

    private static <A extends OutputStreamAppender<ILoggingEvent>> A configured(A appender, LoggerContext context,
                                                                              String name, LogFormat format,
                                                                              boolean access) {
        Layout<ILoggingEvent> layout;
        if (format == LogFormat.JSON) {
            layout = new JsonLayout();
        } else {
            TextLayout text = new TextLayout();
            text.setMessageOnly(access);
            layout = text;
        }
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.setLayout(layout);
        encoder.start();
        appender.setContext(context);
        appender.setName(name);
        appender.setEncoder(encoder);
        appender.setImmediateFlush(true);
        appender.start();
        return appender;
    }

    private static <T extends LifeCycle & ContextAware> T started(T component, LoggerContext context) {
        component.setContext(context);
        component.start();
        return component;
    }

    /** What {@link #configure} installed in a context. */
    private record State(LogSettings settings, Appender<ILoggingEvent> operational, Appender<ILoggingEvent> access) {
    }

    /**
     * stdout or stderr as an appender's stream: looked up on every write (so a replaced
     * {@code System.out} is followed) and never closed by the appender.
     */
    private static final class ConsoleStream extends OutputStream {
        private final Supplier<? extends OutputStream> target;

        ConsoleStream(Supplier<? extends OutputStream> target) {
            this.target = target;
        }

        @Override
        public void write(int b) throws IOException {
            target.get().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            target.get().write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            target.get().flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
