package io.pushrelay.certs.cli;

import io.pushrelay.certs.KeyType;
import io.pushrelay.certs.NameRules;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Option values checked as they are parsed, so that a bad one is a usage error (exit 2) whose
 * message names the option.
 */
final class Converters {
    private Converters() {
    }

    static final class KeyTypes implements ITypeConverter<KeyType> {
        @Override
        public KeyType convert(String value) {
            try {
                return KeyType.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A positive number of days. */
    static final class Days implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int days;
            try {
                days = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number of days");
            }
            if (days < 1) {
                throw new TypeConversionException("must be at least 1 day, got " + days);
            }
            if (days > 36_500) {
                throw new TypeConversionException("at most 36500 days (100 years), got " + days);
            }
            return days;
        }
    }

    /** A DNS name for a certificate, optionally a wildcard. */
    static final class Hosts implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                NameRules.checkHostSyntax(value);
                return value;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A host name or IP address to check a certificate against (no wildcard). */
    static final class HostOrAddress implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                NameRules.parseIp(value);
                return value;
            } catch (IllegalArgumentException notAnAddress) {
                // a host name
            }
            if (value.contains("*")) {
                throw new TypeConversionException("'" + value + "' is a pattern; give the host name a client connects to");
            }
            return new Hosts().convert(value);
        }
    }

    static final class Addresses implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                NameRules.parseIp(value);
                return value;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A name or range for the CA's name constraints. */
    static final class Permits implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                NameRules.checkPermitSyntax(value);
                return value;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class ClientNames implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                NameRules.checkClientName(value);
                return value;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A file name without a folder, for {@code BASE.pem} and friends. */
    static final class BaseNames implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (value.isBlank() || value.contains("/") || value.contains("\\") || value.startsWith(".")
                    || value.chars().anyMatch(Character::isISOControl)) {
                throw new TypeConversionException("'" + value + "' is not a plain file name (no folder, no leading dot)");
            }
            return value;
        }
    }
}
