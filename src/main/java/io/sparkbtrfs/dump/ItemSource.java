package io.sparkbtrfs.dump;

import java.io.IOException;
import java.util.List;

/**
 * Where a part's items get their content, as the image stores it before compression: the source filesystem
 * (read, scrubbed, sanitized: {@link VolumeItems}), or the images of a chain (content already in image form).
 * One per task; not thread-safe.
 */
public interface ItemSource extends AutoCloseable {
    /**
     * Item {@code i}'s content in the first {@code plan.length(i)} bytes of the returned array, which may be a
     * buffer reused by the next call.
     */
    byte[] contentInto(int i) throws IOException;

    /**
     * Whether {@link #contentInto} gives each item's zlib stream at the dump's level rather than its content (an
     * exchange whose producers deflated the items: {@link ExchangedItems}); the stream is the returned array, whole,
     * and the caller keeps it.
     */
    default boolean deliversDeflated() {
        return false;
    }

    /** A part is about to be written whose items end before item {@code endItem} (a read-ahead stops there). */
    default void beginPart(int endItem) {
    }

    /** Requests made to the source's store and the bytes they fetched so far. */
    default io.sparkbtrfs.device.ReadCounts readCounts() {
        return io.sparkbtrfs.device.ReadCounts.NONE;
    }

    /** What this task's name transform counted (null if nothing). */
    default Object taskStats() {
        return null;
    }

    /** Blocks a best-effort dump could not read or validate, with what was done. */
    default List<BlockProblem> problems() {
        return List.of();
    }

    @Override
    default void close() {
    }

    /** Opens the source of one task. */
    @FunctionalInterface
    interface Factory {
        ItemSource open() throws IOException;
    }
}
