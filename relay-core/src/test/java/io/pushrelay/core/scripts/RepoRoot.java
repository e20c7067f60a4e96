package io.pushrelay.core.scripts;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout's root: the first folder up from the working directory holding {@code scripts/push-relay}. */
public final class RepoRoot {
    private RepoRoot() {
    }

    public static Path find() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/push-relay"))) {
                return p;
            }
        }
        throw new IllegalStateException("no scripts/push-relay above " + Path.of("").toAbsolutePath());
    }

    public static Path script(String name) {
        return find().resolve("scripts").resolve(name);
    }
}
