package io.pushrelay.core.check;

import io.pushrelay.core.config.ConfigFile;
import io.pushrelay.core.config.FileCheck;
import io.pushrelay.core.config.RoleConfig;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The {@code files} step: {@link FileCheck} over the config, one line per problem. */
final class FilesStep {
    private FilesStep() {
    }

    /** Returns the config keys ({@code tls.key}) whose file has a problem, for the steps that read them. */
    static Set<String> run(RoleConfig config, CheckOptions options, CheckReport report) {
        List<ConfigFile> files = config.files();
        List<String> problems = FileCheck.check(config);
        Set<String> bad = new LinkedHashSet<>();
        for (ConfigFile f : files) {
            String prefix = f.key() + ": " + f.path() + ": ";
            for (String problem : problems) {
                if (problem.startsWith(prefix)) {
                    bad.add(f.key());
                    String what = problem.substring(prefix.length());
                    report.fail(RoleCheck.FILES, "file " + f.key() + " " + f.path() + ": " + what, fix(f, what, options));
                }
            }
        }
        if (bad.isEmpty()) {
            long secrets = files.stream().filter(ConfigFile::secret).count();
            report.pass(RoleCheck.FILES, "files: " + files.size() + " named by the config readable"
                    + (secrets == 0 ? "" : " (" + secrets + (secrets == 1 ? " secret" : " secrets")
                    + ", not readable by every user)"));
        }
        return bad;
    }

    private static String fix(ConfigFile f, String what, CheckOptions options) {
        if (what.startsWith("readable by every user")) {
            return "chmod 600 " + f.path() + " (or chmod 640 and chgrp push-relay)";
        }
        if (what.startsWith("not readable")) {
            return "let the relay's user read it: chgrp push-relay " + f.path() + " && chmod g+r " + f.path();
        }
        return "create " + f.path() + " or correct " + f.key() + " in " + options.configSource();
    }
}
