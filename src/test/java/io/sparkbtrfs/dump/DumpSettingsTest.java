package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.sanitize.SanitizeMode;
import io.sparkbtrfs.testing.Fast;

/** The typed settings of a dump: the codec decided once from -c and --compress, and the runner choice. */
@Fast
class DumpSettingsTest {
    private static final long FRAME = 1 << 20;

    @Test
    void codecFollowsTheCommandLineLevels() {
        assertEquals(Codec.NONE, Codec.of(0, 0, FRAME));
        assertEquals(new Codec.Zlib(1), Codec.of(1, 0, FRAME));
        assertEquals(new Codec.Zlib(9), Codec.of(9, 0, FRAME));
        // --compress zstd wins over -c, as the part writer always let it.
        assertEquals(new Codec.Zstd(3, FRAME), Codec.of(9, 3, FRAME));
        assertEquals(new Codec.Zstd(19, FRAME), Codec.of(0, 19, FRAME));
        assertThrows(IllegalArgumentException.class, () -> Codec.of(10, 0, FRAME));
        assertThrows(IllegalArgumentException.class, () -> Codec.of(-1, 0, FRAME));
        assertThrows(IllegalArgumentException.class, () -> Codec.of(0, 3, 0));
        // Frame sizes matter only to zstd.
        assertEquals(Codec.NONE, Codec.of(0, 0, 0));
    }

    @Test
    void codecDecidesTheImagesMagicAndFlag() {
        assertEquals(MetadumpFormat.COMPRESS_NONE, Codec.NONE.compressFlag());
        assertEquals(MetadumpFormat.MAGIC_V0, Codec.NONE.magic());
        assertTrue(Codec.NONE.raw());
        assertEquals(MetadumpFormat.COMPRESS_ZLIB, new Codec.Zlib(9).compressFlag());
        assertEquals(MetadumpFormat.MAGIC_V0, new Codec.Zlib(9).magic());
        assertFalse(new Codec.Zlib(9).raw());
        assertEquals(MetadumpFormat.COMPRESS_ZSTD_STREAM, new Codec.Zstd(3, FRAME).compressFlag());
        assertEquals(MetadumpFormat.MAGIC_ZSTD_STREAM, new Codec.Zstd(3, FRAME).magic());
        assertFalse(new Codec.Zstd(3, FRAME).raw());
    }

    @Test
    void settingsSurviveSerialization() throws Exception {
        // Spark broadcasts them to executors.
        for (Codec c : List.of(Codec.NONE, new Codec.Zlib(6), new Codec.Zstd(5, FRAME))) {
            DumpSettings s = new DumpSettings(c, SanitizeMode.GARBAGE, LeafItemTransform.NONE, true);
            DumpSettings back = roundTrip(s);
            assertEquals(c, back.codec());
            assertEquals(SanitizeMode.GARBAGE, back.sanitize());
            assertTrue(back.bestEffort());
            assertTrue(back.clearLabel());
        }
        assertFalse(new DumpSettings(Codec.NONE).clearLabel());
    }

    @Test
    void sparkRunsWhenAskedOrANameIsAUri() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("SPARK_SUBMIT") == null
                && System.getProperty("spark.master") == null, "running under spark-submit");
        List<String> local = List.of("/dev/loop0");
        assertFalse(RunnerChoice.AUTO.sparkRequired(false, local, "out.img"));
        assertTrue(RunnerChoice.AUTO.sparkRequired(true, local, "out.img"));
        assertTrue(RunnerChoice.AUTO.sparkRequired(false, List.of("hdfs://nn/fs.img"), "out.img"));
        assertTrue(RunnerChoice.AUTO.sparkRequired(false, local, "s3a://bucket/out.img"));
        assertTrue(RunnerChoice.SPARK.sparkRequired(false, local, "out.img"));
        assertFalse(RunnerChoice.IN_PROCESS.sparkRequired(false, List.of("hdfs://nn/fs.img"), "out.img"));
        assertTrue(RunnerChoice.IN_PROCESS.sparkRequired(true, local, "out.img"));
    }

    @Test
    void executionIsCreatedOnlyWhenChosen() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("SPARK_SUBMIT") == null
                && System.getProperty("spark.master") == null, "running under spark-submit");
        List<String> local = List.of("/dev/loop0");
        int[] sparkCreated = {0};
        java.util.function.Supplier<Execution> spark = () -> {
            sparkCreated[0]++;
            return new InProcessExecution(1);
        };
        try (Execution e = RunnerChoice.IN_PROCESS.execution(false, local, "out.img", 2, 0, spark)) {
            assertTrue(e instanceof InProcessExecution);
        }
        try (Execution e = RunnerChoice.AUTO.execution(false, local, "out.img", 2, 1L << 30, spark)) {
            assertFalse(e instanceof InProcessExecution); // in-process or Spark, by the plan's size
        }
        assertEquals(0, sparkCreated[0]);
        try (Execution e = RunnerChoice.SPARK.execution(false, local, "out.img", 2, 1L << 30, spark)) {
            assertEquals(1, sparkCreated[0]);
        }
    }

    private static DumpSettings roundTrip(DumpSettings s) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (DumpSettings) in.readObject();
        }
    }
}
