package io.pushrelay.pre;

import io.pushrelay.core.config.LogSettings;
import io.pushrelay.core.observe.logging.LogSetup;

/** Logging set-up for the role: the core's text/JSON logs with the access log apart. */
final class RoleLogging {
    private RoleLogging() {
    }

    static void configure(LogSettings settings) {
        LogSetup.configure(settings);
    }

    /** SIGHUP: apply changed settings and reopen the access-log file (logrotate). */
    static void reload(LogSettings settings) {
        LogSetup.configure(settings);
        LogSetup.reopen();
    }
}
