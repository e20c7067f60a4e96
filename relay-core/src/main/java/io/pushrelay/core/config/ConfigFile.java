package io.pushrelay.core.config;

import java.nio.file.Path;

/**
 * A file a config names, for {@code check} ({@link FileCheck}): the loader itself never touches
 * the file system.
 *
 * @param key    where the config names it, {@code tls.cert}
 * @param path   absolute path
 * @param secret a private key or password: must not be readable by every user
 */
public record ConfigFile(String key, Path path, boolean secret) {
}
