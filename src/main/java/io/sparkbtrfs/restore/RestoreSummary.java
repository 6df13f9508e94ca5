package io.sparkbtrfs.restore;

import io.sparkbtrfs.text.Figures;
import java.util.List;

/**
 * Figures for the closing line of a restore, and what it did beyond writing the image's bytes (a
 * re-checksum, parity computed): {@code notes}, each appended to the line.
 */
public record RestoreSummary(long items, long bytes, long targetSize, long millis, List<String> notes) {

    public RestoreSummary {
        notes = List.copyOf(notes);
    }

    public RestoreSummary(long items, long bytes, long targetSize, long millis) {
        this(items, bytes, targetSize, millis, List.of());
    }

    /** The same summary with the run's total time. */
    public RestoreSummary withMillis(long total) {
        return new RestoreSummary(items, bytes, targetSize, total, notes);
    }

    public String line(String image, String target) {
        StringBuilder s = new StringBuilder("restored ").append(items).append(" items (").append(bytes)
                .append(" bytes of metadata) from ").append(image).append(" to ").append(target).append(" (")
                .append(targetSize).append(" bytes), ").append(Figures.tenths(millis / 1000.0)).append(" s");
        for (String n : notes) {
            s.append("; ").append(n);
        }
        return s.toString();
    }
}
