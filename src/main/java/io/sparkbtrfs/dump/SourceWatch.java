package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.PrintStream;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.device.BlockSource;
import io.sparkbtrfs.device.BlockSources;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.format.Superblock;

/**
 * Tells whether the source changed while it was dumped. A dump plans from the superblock it read first;
 * a filesystem that is being written (mounted, directly or through a loop device) commits newer
 * superblocks meanwhile and reuses the blocks its old trees freed, so blocks read later may belong to
 * another moment than the plan, and the image would not open. Three checks catch it: tree blocks newer
 * than the planned superblock are refused as they are read ({@code Volume}); planning fails if a root
 * the image needs is not in the plan ({@link Planner}); and here, once every part is written and before
 * the image is committed, the primary superblock is read again and compared with the planned one
 * (generation, and the tree, chunk and log roots with their levels and generations). Any failure of the
 * dump is also checked against a fresh superblock, so that a block overwritten under the dump is
 * reported as a changed source rather than as a damaged one.
 *
 * <p>Nothing is compared when the planned superblock came from a backup copy ({@code --best-effort} on a
 * damaged primary): there is no intact primary to compare with.
 */
public final class SourceWatch {
    /** What the user is told to do instead. */
    public static final String ADVICE = "dump a snapshot (LVM/dm snapshot) or an unmounted filesystem";

    private final String source;
    private final String device;
    private final Configuration conf;
    private final Superblock planned;
    private final boolean comparable;
    private final boolean bestEffort;
    private final PrintStream err;

    private SourceWatch(String source, String device, Configuration conf, Superblock planned, boolean comparable,
            boolean bestEffort, PrintStream err) {
        this.source = source;
        this.device = device;
        this.conf = conf;
        this.planned = planned;
        this.comparable = comparable;
        this.bestEffort = bestEffort;
        this.err = err;
    }

    /**
     * Watches the primary device of {@code volume}, as planned from its superblock. {@code source} names it in
     * messages; with {@code bestEffort}, a change found before the commit is a warning on {@code err}.
     */
    public static SourceWatch of(String source, Volume volume, Configuration conf, boolean bestEffort,
            PrintStream err) {
        VolumeDescriptor d = volume.descriptor();
        return new SourceWatch(source, d.primary(), conf, volume.superblock(), !d.superblockRepaired(), bestEffort,
                err);
    }

    /** The source changed during the dump; the message is the whole line for the user. */
    public static final class SourceChangedException extends IOException {
        private static final long serialVersionUID = 1L;

        SourceChangedException(String message) {
            super(message);
        }
    }

    /**
     * The last check, after every part is written and before the image is committed: fails with
     * {@link SourceChangedException} if the source changed (with best effort: warns and returns).
     */
    public void beforeCommit() throws IOException {
        String changes = changes(true);
        if (changes == null) {
            return;
        }
        if (!bestEffort) {
            throw new SourceChangedException(message(changes));
        }
        err.println("WARNING: " + source + " changed during the dump (" + changes + "); the image holds the blocks "
                + "as they were read and may not restore; " + ADVICE);
    }

    /**
     * The line to report instead of {@code failure}'s own if the source changed meanwhile (the superblock is
     * read again), else null: a block overwritten under the dump fails validation like a damaged one.
     */
    public String explain(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SourceChangedException) {
                return t.getMessage();
            }
        }
        String changes = changes(false);
        if (changes == null) {
            return null;
        }
        String why = failure.getMessage();
        return message(why == null ? changes : changes + "; " + why.replace(source + ": ", ""));
    }

    /** {@link #explain}, or {@code otherwise} if the source did not change. */
    public String explainOr(Throwable failure, String otherwise) {
        String changed = explain(failure);
        return changed != null ? changed : otherwise;
    }

    private String message(String changes) {
        return source + " changed during the dump (" + changes + "); " + ADVICE;
    }

    /**
     * What differs between the primary superblock on the source now and the planned one; null if nothing
     * (or when there is nothing to compare with). A superblock that no longer validates differs.
     */
    public String changes() {
        return changes(true);
    }

    /** As {@link #changes()}; a superblock that cannot be read counts as a change only if {@code unreadable}. */
    private String changes(boolean unreadable) {
        if (!comparable) {
            return null;
        }
        try (BlockSource in = BlockSources.open(device, conf)) {
            return Volume.superblockChanges(in, planned);
        } catch (IOException e) {
            return unreadable ? "the superblock can no longer be read: " + e.getMessage() : null;
        }
    }
}
