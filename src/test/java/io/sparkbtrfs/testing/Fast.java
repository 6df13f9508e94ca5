package io.sparkbtrfs.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * The fast tier of the suite: a test class (or a test method of a mixed class) that needs neither btrfs-progs,
 * the kernel, child JVMs nor Spark: pure byte views, codecs, planners and parsers on data the test builds itself.
 * {@code mvn -B test -Pfast} runs only these (in well under a minute); {@code -Pintegration} runs only the rest;
 * {@code scripts/test} (CI) runs both.
 *
 * <p>Membership is opt-in: an untagged test belongs to the integration tier, so a new real-tool test can never
 * slow the fast tier down. The fast profile also sets {@value Tier#FAST_ONLY}, under which {@link Proc} (mkfs,
 * the reference tools, child JVMs, mounts) and {@link Ours} refuse to run: a test tagged here by mistake fails
 * instead of quietly needing the tools.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag(Fast.TAG)
public @interface Fast {
    /** The JUnit tag behind this annotation, as the pom's Surefire profiles name it. */
    String TAG = "fast";
}
