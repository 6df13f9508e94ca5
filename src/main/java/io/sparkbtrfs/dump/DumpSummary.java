package io.sparkbtrfs.dump;

import java.util.ArrayList;
import java.util.List;

import io.sparkbtrfs.device.LongHashSet;
import io.sparkbtrfs.device.ReadCounts;
import io.sparkbtrfs.sanitize.SanitizeStats;
import io.sparkbtrfs.text.Figures;

/** Figures for the closing line of a dump. */
public record DumpSummary(long blocks, long bytesIn, long bytesOut, int clusters, int items, int partitions,
        long millis, SanitizeStats sanitize, long distinctNames, java.util.List<BlockProblem> problems,
        ReadCounts reads) {

    public DumpSummary(long blocks, long bytesIn, long bytesOut, int clusters, int items, int partitions, long millis) {
        this(blocks, bytesIn, bytesOut, clusters, items, partitions, millis, null, 0, java.util.List.of(),
                ReadCounts.NONE);
    }

    /** The figures of an image written as {@code parts} (whatever the runner), in {@code millis}. */
    public static DumpSummary of(List<PartResult> parts, ItemPlan plan, int partitions, long millis) {
        long blocks = 0;
        long bytesIn = 0;
        long bytesOut = 0;
        SanitizeStats sanitize = null;
        LongHashSet distinct = new LongHashSet();
        List<BlockProblem> problems = new ArrayList<>();
        ReadCounts reads = ReadCounts.NONE;
        for (PartResult p : parts) {
            reads = reads.plus(p.reads());
            blocks += p.blocks();
            bytesIn += p.bytesIn();
            bytesOut += p.length();
            if (p.transformStats() instanceof SanitizeStats s) {
                if (sanitize == null) {
                    sanitize = new SanitizeStats();
                }
                sanitize.merge(s, distinct);
            }
            problems.addAll(p.problems());
        }
        return new DumpSummary(blocks, bytesIn, bytesOut, plan.clusters(), plan.items(), partitions, millis, sanitize,
                distinct.size(), problems, reads);
    }

    /** The same figures with another elapsed time. */
    public DumpSummary withMillis(long total) {
        return new DumpSummary(blocks, bytesIn, bytesOut, clusters, items, partitions, total, sanitize, distinctNames,
                problems, reads);
    }

    /** The same figures with what reading the source cost while the parts were written. */
    public DumpSummary withReads(ReadCounts total) {
        return new DumpSummary(blocks, bytesIn, bytesOut, clusters, items, partitions, millis, sanitize, distinctNames,
                problems, total);
    }

    /**
     * The line that says what reading a remote source cost ("read the source with 42 requests (1.2 MiB) on the
     * driver, 9 (30.1 MiB) writing the parts"), for the closing lines of a dump whose source is remote.
     */
    public String readsLine(ReadCounts driver, ReadCounts extentScan) {
        String scan = extentScan.requests() == 0 ? "" : ", " + extentScan.requests() + " ("
                + human(extentScan.bytes()) + ") scanning the extent tree on executors";
        return "read the source with " + driver.requests() + " requests (" + human(driver.bytes()) + ") on the driver"
                + scan + ", " + reads.requests() + " (" + human(reads.bytes()) + ") writing the parts";
    }

    /** The sanitizing line of the summary (empty if nothing was sanitized). */
    public String sanitizeLine(io.sparkbtrfs.sanitize.SanitizeMode mode) {
        return sanitize == null ? "" : sanitize.line(distinctNames, mode == io.sparkbtrfs.sanitize.SanitizeMode.COLLISIONS);
    }

    public String line(String source, String target) {
        double secs = millis / 1000.0;
        return "dumped " + blocks + " tree blocks (" + human(bytesIn) + ") from " + source + " to " + target + ": "
                + human(bytesOut) + " in " + clusters + " clusters, " + items + " items, " + partitions + " partitions, "
                + Figures.tenths(secs) + " s (" + human(secs > 0 ? (long) (bytesIn / secs) : bytesIn) + "/s)";
    }

    public static String human(long bytes) {
        return Figures.bytes(bytes);
    }
}
