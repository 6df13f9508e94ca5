package io.sparkbtrfs.restore;

/** Figures for the closing line of a restore. */
public record RestoreSummary(long items, long bytes, long targetSize, long millis) {

    public String line(String image, String target) {
        return String.format("restored %d items (%d bytes of metadata) from %s to %s (%d bytes), %.1f s", items,
                bytes, image, target, targetSize, millis / 1000.0);
    }
}
