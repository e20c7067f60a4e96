package io.pushrelay.certs.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the jar manifest's Implementation-Version, or {@code dev} outside a jar. */
public final class ManifestVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"push-relay certs " + version()};
    }

    public static String version() {
        String version = CertsCommand.class.getPackage().getImplementationVersion();
        return version == null || version.isBlank() ? "dev" : version;
    }
}
