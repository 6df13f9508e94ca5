package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.Fast;

/**
 * Executors of a local cluster get the driver's class-data archive only when it exists and they run the driver's
 * JVM: a wrong archive must never be what an executor is started with.
 */
@Fast
class ExecutorOptionsTest {
    private static final String BASE = "-XX:TieredStopAtLevel=1";
    private static final String HOME = System.getProperty("java.home");

    @Test
    void driversArchiveGoesToExecutorsOfTheSameJvm(@TempDir Path dir) throws IOException {
        Path archive = Files.createFile(dir.resolve("spark.jsa"));
        List<String> driver = List.of("-Xmn32m", "-XX:SharedArchiveFile=" + archive, "-Dx=y");
        String expected = BASE + " -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off -XX:SharedArchiveFile=" + archive;
        assertEquals(expected, SparkSessions.localExecutorJavaOptions(driver, HOME, null));
        assertEquals(expected, SparkSessions.localExecutorJavaOptions(driver, HOME, ""));
        assertEquals(expected, SparkSessions.localExecutorJavaOptions(driver, HOME, HOME));
    }

    @Test
    void noArchiveWhenItIsMissingOrAnotherJvmRuns(@TempDir Path dir) throws IOException {
        Path archive = dir.resolve("spark.jsa");
        List<String> driver = List.of("-XX:SharedArchiveFile=" + archive);
        assertEquals(BASE, SparkSessions.localExecutorJavaOptions(driver, HOME, null), "no such file");
        Files.createFile(archive);
        // Spark launches $JAVA_HOME/bin/java when JAVA_HOME is set: another JVM would refuse (or misuse) the archive.
        Path otherJvm = Files.createDirectories(dir.resolve("other-jdk"));
        assertEquals(BASE, SparkSessions.localExecutorJavaOptions(driver, HOME, otherJvm.toString()), "other JVM");
        assertEquals(BASE, SparkSessions.localExecutorJavaOptions(List.of("-Xmn32m"), HOME, null), "no archive");
        assertEquals(BASE, SparkSessions.localExecutorJavaOptions(List.of("-XX:SharedArchiveFile="), HOME, null));
    }
}
