package io.sparkbtrfs.dump;

import java.io.Serializable;

/**
 * Rewrites leaf items of certain types inside a block being dumped: the hook where name sanitizing
 * plugs in. Implementations must be pure functions of the item (plus configuration fixed on the
 * driver), so that every executor produces the same bytes.
 */
public interface LeafItemTransform extends Serializable {

    /** Leaves every item alone. */
    LeafItemTransform NONE = new LeafItemTransform() {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean handles(int keyType) {
            return false;
        }

        @Override
        public void apply(byte[] block, int blockOffset, int slot, int dataStart, int dataSize) {
        }

        private Object readResolve() {
            return NONE;
        }
    };

    boolean handles(int keyType);

    /**
     * Whether the bytes of a leaf's data area that no item covers are zeroed too (not only the free space
     * between the item headers and the data): a sanitized image keeps no stale byte anywhere. Off by default,
     * which keeps plain dumps byte-identical to the reference's.
     */
    default boolean zeroesSlack() {
        return false;
    }

    /** A fresh instance for one task (its own caches and counters); stateless transforms return themselves. */
    default LeafItemTransform forTask() {
        return this;
    }

    /** What this task's instance counted, shipped to the driver in the part result (null if nothing). */
    default Object taskStats() {
        return null;
    }

    /** Rewrites item {@code slot}, whose data is {@code block[dataStart .. dataStart+dataSize)} (in bounds). */
    void apply(byte[] block, int blockOffset, int slot, int dataStart, int dataSize);

    /**
     * Called after {@link #apply} has seen every item of the leaf at {@code block[blockOffset ..)}: may rewrite the
     * whole leaf (re-sorted keys, repacked data), keeping it a valid leaf.
     */
    default void finishLeaf(byte[] block, int blockOffset, int nodesize, int nritems) {
    }

    /** Called for each internal node (with its in-range key pointer count): may rewrite the keys of its pointers. */
    default void node(byte[] block, int blockOffset, int nodesize, int nritems) {
    }
}
