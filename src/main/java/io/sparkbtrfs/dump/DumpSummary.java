package io.sparkbtrfs.dump;

import java.util.ArrayList;
import java.util.List;

import io.sparkbtrfs.device.LongHashSet;
import io.sparkbtrfs.device.ReadCounts;
import io.sparkbtrfs.sanitize.SanitizeStats;
import io.sparkbtrfs.text.Figures;

/**
 * Figures for the closing line of a dump. {@code producers}: the tasks that read the parts' items by address for
 * an exchange ({@link ItemProducer}), 0 if the parts read their own.
 */
public record DumpSummary(long blocks, long bytesIn, long bytesOut, int clusters, int items, int partitions,
        long millis, SanitizeStats sanitize, long distinctNames, java.util.List<BlockProblem> problems,
        ReadCounts reads, int producers) {

    public DumpSummary(long blocks, long bytesIn, long bytesOut, int clusters, int items, int partitions, long millis) {
        this(blocks, bytesIn, bytesOut, clusters, items, partitions, millis, null, 0, java.util.List.of(),
                ReadCounts.NONE, 0);
    }

    /** The figures of an image written as {@code parts} (whatever the runner), in {@code millis}. */
    public static DumpSummary of(List<PartResult> parts, ItemPlan plan, int partitions, long millis) {
        return of(parts, List.of(), plan, partitions, millis);
    }

    /**
     * The figures of an image written as {@code parts} from items that {@code producers} read for them (an exchange:
     * their reads, sanitizing counts and problems are theirs, not the parts').
     */
    public static DumpSummary of(List<PartResult> parts, List<ItemProducer.Report> producers, ItemPlan plan,
            int partitions, long millis) {
        long blocks = 0;
        long bytesIn = 0;
        long bytesOut = 0;
        Side side = new Side();
        for (PartResult p : parts) {
            blocks += p.blocks();
            bytesIn += p.bytesIn();
            bytesOut += p.length();
            side.add(p.transformStats(), p.problems(), p.reads());
        }
        for (ItemProducer.Report p : producers) {
            side.add(p.transformStats(), p.problems(), p.reads());
        }
        return new DumpSummary(blocks, bytesIn, bytesOut, plan.clusters(), plan.items(), partitions, millis,
                side.sanitize, side.distinct.size(), side.problems, side.reads, producers.size());
    }

    /** What tasks report besides their bytes: reads, sanitizing counts, problems. */
    private static final class Side {
        ReadCounts reads = ReadCounts.NONE;
        SanitizeStats sanitize;
        final LongHashSet distinct = new LongHashSet();
        final List<BlockProblem> problems = new ArrayList<>();

        void add(Object transformStats, List<BlockProblem> found, ReadCounts read) {
            reads = reads.plus(read);
            if (transformStats instanceof SanitizeStats s) {
                if (sanitize == null) {
                    sanitize = new SanitizeStats();
                }
                sanitize.merge(s, distinct);
            }
            problems.addAll(found);
        }
    }

    /** The same figures with another elapsed time. */
    public DumpSummary withMillis(long total) {
        return new DumpSummary(blocks, bytesIn, bytesOut, clusters, items, partitions, total, sanitize, distinctNames,
                problems, reads, producers);
    }

    /** The same figures with what reading the source cost while the parts were written. */
    public DumpSummary withReads(ReadCounts total) {
        return new DumpSummary(blocks, bytesIn, bytesOut, clusters, items, partitions, millis, sanitize, distinctNames,
                problems, total, producers);
    }

    /**
     * The line that says what reading a remote source cost ("read the source with 42 requests (1.2 MiB) on the
     * driver, 9 (30.1 MiB) writing the parts", then how if the items were exchanged), for the closing lines of a dump
     * whose source is remote.
     */
    public String readsLine(ReadCounts driver, ReadCounts extentScan) {
        String scan = extentScan.requests() == 0 ? "" : ", " + extentScan.requests() + " ("
                + human(extentScan.bytes()) + ") scanning the extent tree on executors";
        return "read the source with " + driver.requests() + " requests (" + human(driver.bytes()) + ") on the driver"
                + scan + ", " + reads.requests() + " (" + human(reads.bytes()) + ") writing the parts"
                + (producers == 0 ? "" : " (each item read once, by address, in " + producers + " tasks)");
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
