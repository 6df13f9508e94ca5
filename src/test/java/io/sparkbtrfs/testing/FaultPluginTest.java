package io.sparkbtrfs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** Fault injection is test code: the tool's sources neither read the plugin's properties nor name it. */
@Fast
class FaultPluginTest {
    @Test
    void productionSourcesHoldNoTestHooks() throws IOException {
        List<String> hooks = List.of("spark.btrfs.test.", "FaultPlugin", "TestHooks");
        try (Stream<Path> files = Files.walk(Path.of("src", "main"))) {
            List<String> found = files.filter(Files::isRegularFile).flatMap(f -> {
                try {
                    String text = Files.readString(f);
                    return hooks.stream().filter(text::contains).map(h -> f + ": " + h);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
            assertEquals(List.of(), found);
        }
    }

    @Test
    void optionsEnableThePluginWithItsProperty() {
        assertEquals(List.of("--conf", "spark.plugins=io.sparkbtrfs.testing.FaultPlugin", "--conf",
                "spark.btrfs.test.taskDelayMs=250"), FaultPlugin.delay(250));
        assertEquals(List.of("--conf", "spark.plugins=io.sparkbtrfs.testing.FaultPlugin", "--conf",
                "spark.btrfs.test.failFirstAttemptOfPartition=3"), FaultPlugin.failFirstAttempt(3));
    }
}
