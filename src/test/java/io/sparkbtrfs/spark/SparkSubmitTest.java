package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/** The main class runs under spark-submit (Spark's own SparkSubmit, in a child JVM) with the reference's arguments. */
class SparkSubmitTest {

    @Test
    void sparkSubmitRunsTheDumpWithTheSameArguments(@TempDir Path dir) throws IOException {
        RefTool.assumeAvailable();
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(128L << 20).run();
        Path ref = dir.resolve("ref.img");
        RefTool.dump(fs, ref, "-c", "9").requireOk();
        Path jar = jarOf(Path.of("target", "classes"), dir.resolve("app.jar"));
        Path out = dir.resolve("submitted.img");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", Ours.classpath(), "org.apache.spark.deploy.SparkSubmit", "--class", "io.sparkbtrfs.cli.Main",
                "--master", "local[2]", "--conf", "spark.ui.enabled=false", jar.toString(),
                "--no-progress", "-c", "9", fs.toString(), out.toString()));
        Proc.Result r = Proc.run(cmd, Proc.DEFAULT_TIMEOUT);
        assertEquals(0, r.exitCode(), r.describe());
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(out));
    }

    private static Path jarOf(Path classes, Path jar) throws IOException {
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os);
                Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                j.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, j);
                j.closeEntry();
            }
        }
        return jar;
    }
}
