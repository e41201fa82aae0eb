package io.clawgress.appliance.ctl;

import io.clawgress.enforcement.bundle.SigningAlg;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Option value types of the offline verbs; a bad value is a usage error that says what was expected. */
final class Converters {

    private Converters() {
    }

    /** {@code 2026-11-21T00:00:00Z}, {@code 2026-11-21T01:00:00+01:00}, or {@code 2026-11-21} (midnight UTC). */
    static final class InstantConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return OffsetDateTime.parse(value).toInstant();
            } catch (DateTimeParseException e) {
                // not a date and time; try a date
            }
            try {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + value + "' (expected: an ISO-8601 instant such as"
                        + " 2026-11-21T00:00:00Z, or a date such as 2026-11-21 for midnight UTC)");
            }
        }
    }

    /** {@code 30d}, {@code 12h}, {@code 90m}, {@code 3600s}, or ISO-8601 ({@code P30D}); more than zero. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern SHORT = Pattern.compile("([0-9]{1,6})([smhd])");

        @Override
        public Duration convert(String value) {
            Duration d = null;
            Matcher m = SHORT.matcher(value);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> throw new IllegalStateException("unit: " + m.group(2));
                };
            } else if (value.startsWith("P") || value.startsWith("p")) {
                try {
                    d = Duration.parse(value);
                } catch (DateTimeParseException e) {
                    d = null;
                }
            }
            if (d == null || d.isNegative() || d.isZero()) {
                throw new TypeConversionException("'" + value + "' (expected: a duration such as 30d, 12h, 90m or"
                        + " 3600s, more than zero)");
            }
            return d;
        }
    }

    /** {@code eddsa} (Ed25519) or {@code es256} (P-256), case-insensitive. */
    static final class AlgConverter implements ITypeConverter<SigningAlg> {
        @Override
        public SigningAlg convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "eddsa", "ed25519" -> SigningAlg.EDDSA;
                case "es256", "p-256", "p256" -> SigningAlg.ES256;
                default -> throw new TypeConversionException("'" + value + "' (expected: eddsa or es256)");
            };
        }
    }
}
