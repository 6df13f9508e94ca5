package io.sparkbtrfs.dump;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import io.sparkbtrfs.device.Volume;

/**
 * A part's items read once, by address, from a remote source into a local file, for a part whose plan order strews
 * them over the metadata area and that no exchange serves ({@code -w} in a single part or in-process): windows in
 * plan order would each fetch about all of it, as many times as there are windows, which on a large filesystem
 * comes to about one request per tree block. Read by address instead (windows merged into large requests, the next
 * one read ahead) the part fetches each block once, and writes its items in plan order from the local file. The
 * file ({@link #DIR}) is unlinked as soon as it is open (nothing is left behind whatever happens), private to this process, and
 * made only where the disk has room for it twice over; any failure to write it leaves the part reading as before.
 * Once made, {@link #copy} may be called from any number of threads (the parts of an in-process dump share one).
 */
final class ItemSpill implements AutoCloseable {
    /** Where spills go: the temporary directory ({@code $TMPDIR}, else the JVM's), on the machine of the task. */
    static final Path DIR = Path.of(io.sparkbtrfs.store.Storage.temporaryDirectory());
    /** Free space left on the spill's disk besides twice the spill. */
    private static final long MARGIN = 1L << 30;

    private final int from;
    private final int end;
    /** Per position - from: where the item's first copy is in the file, or -1 (not read: the caller reads it). */
    private final long[] offsets;
    private final FileChannel file;
    private final ItemPlan plan;

    private ItemSpill(ItemPlan plan, int from, int end, long[] offsets, FileChannel file) {
        this.plan = plan;
        this.from = from;
        this.end = end;
        this.offsets = offsets;
        this.file = file;
    }

    /**
     * Whether reading items [from, end) in plan order, windows of up to {@code window} bytes each merged across
     * {@code gap}, would fetch notably more ({@link AddressOrder#WORTH}) than reading them once by address.
     */
    static boolean worthIt(ItemPlan plan, int from, int end, long window, long gap) {
        long once = AddressOrder.mergedBytes(plan, AddressOrder.byAddress(plan, from, end), gap);
        long windowed = 0;
        for (int w = from; w < end;) {
            int to = ItemPrefetch.windowEnd(plan, null, w, end, window);
            windowed += AddressOrder.mergedBytes(plan, AddressOrder.byAddress(plan, w, to), gap);
            w = to;
        }
        return windowed > AddressOrder.WORTH * once;
    }

    /**
     * Items [from, end) of {@code plan} read by address into a file in {@code dir}; null when the disk has not the
     * room or the file cannot be written (the caller then reads in plan order). Reading failures are the caller's:
     * an item not read is left out, as the read-ahead leaves it.
     */
    static ItemSpill of(Volume volume, ItemPlan plan, int from, int end, int window, Path dir) {
        int[] sorted = AddressOrder.byAddress(plan, from, end);
        long content = 0;
        int longest = 0;
        for (int i : sorted) {
            content += plan.length(i);
            longest = Math.max(longest, plan.length(i));
        }
        FileChannel file = null;
        try {
            if (Files.getFileStore(dir).getUsableSpace() < 2 * content + MARGIN) {
                return null;
            }
            Path p = Files.createTempFile(dir, "btrfs-image-spill-", ".tmp");
            try {
                file = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } finally {
                Files.deleteIfExists(p);
            }
            long[] offsets = new long[end - from];
            Arrays.fill(offsets, -1);
            byte[] buf = new byte[longest];
            long at = 0;
            try (ItemPrefetch byAddress = new ItemPrefetch(volume, plan, window, window)) {
                byAddress.follow(sorted);
                for (int k = 0; k < sorted.length; k++) {
                    int i = sorted[k];
                    if (byAddress.copy(k, sorted.length, buf)) {
                        ByteBuffer b = ByteBuffer.wrap(buf, 0, plan.length(i));
                        while (b.hasRemaining()) {
                            at += file.write(b, at);
                        }
                        offsets[i - from] = at - plan.length(i);
                    }
                }
            }
            return new ItemSpill(plan, from, end, offsets, file);
        } catch (IOException e) {
            closeQuietly(file);
            return null;
        }
    }

    boolean holds(int position) {
        return position >= from && position < end;
    }

    /** Copies the item at {@code position} into {@code out}; false if it was not read (the caller reads it). */
    boolean copy(int position, byte[] out) throws IOException {
        long offset = offsets[position - from];
        if (offset < 0) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(out, 0, plan.length(position));
        while (b.hasRemaining()) {
            if (file.read(b, offset + b.position()) < 0) {
                throw new IOException("spill file shorter than written");
            }
        }
        return true;
    }

    @Override
    public void close() {
        closeQuietly(file);
    }

    private static void closeQuietly(FileChannel f) {
        if (f != null) {
            try {
                f.close();
            } catch (IOException ignored) {
                // unlinked already: nothing stays behind
            }
        }
    }
}
