package io.sparkbtrfs.dump;

import java.io.IOException;

import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.store.ImageOutput;

/**
 * Executes a plan's parts and assembles the image at its output, uncommitted (the caller checks, then commits).
 * Two runners write the same bytes: {@link InProcessRunner} (threads of this JVM) and the Spark runner (tasks
 * on executors, merged by a {@link PartMerge}: in place, by streaming, by HDFS concat or by S3 part copy).
 */
public interface PartRunner {
    /** Receives progress: tree blocks and content bytes done so far. */
    @FunctionalInterface
    interface ProgressListener {
        void update(long blocks, long bytes);
    }

    /** For the summary and the timings: "in-process, 2 threads", "Spark local[*]". */
    String describe();

    /** Writes the image of {@code plan} into {@code output} in {@code parts} parts (0: automatic). */
    DumpSummary write(Volume volume, ItemPlan plan, DumpSettings settings, int parts, ImageOutput output,
            ProgressListener progress) throws IOException;
}
