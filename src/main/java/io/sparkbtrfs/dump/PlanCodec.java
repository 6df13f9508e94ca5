package io.sparkbtrfs.dump;

import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * The plan of a full dump as a delta image stores it, so that the full image can be rebuilt byte for byte:
 *
 * <pre>
 * plan := item{n}
 * item := start u64 (logical address; the superblock's offset for it) | length u32 (content bytes)
 *         | kind u8 (0 superblock, 1 tree blocks, 2 data)
 * </pre>
 *
 * Item 0 is the superblock; tree-block items hold whole nodes; every length is within the v0 item limit.
 */
public final class PlanCodec {
    public static final int ITEM_BYTES = io.sparkbtrfs.image.DeltaHeader.PLAN_ITEM_BYTES;
    private static final int START_OFFSET = MetadumpFormat.Delta.ITEM_START_OFFSET;
    private static final int LENGTH_OFFSET = MetadumpFormat.Delta.ITEM_LENGTH_OFFSET;
    private static final int KIND_OFFSET = MetadumpFormat.Delta.ITEM_KIND_OFFSET;

    private PlanCodec() {
    }

    public static byte[] encode(ItemPlan plan) {
        long size = (long) plan.items() * ITEM_BYTES;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a plan of " + plan.items() + " items is too large for a delta");
        }
        byte[] b = new byte[(int) size];
        for (int i = 0; i < plan.items(); i++) {
            if (plan.kind(i) == ItemPlan.RECORD) {
                throw new IllegalArgumentException("a full dump's plan holds no records");
            }
            int at = i * ITEM_BYTES;
            MetadumpFormat.Delta.put64(b, at + START_OFFSET, plan.start(i));
            MetadumpFormat.Delta.put32(b, at + LENGTH_OFFSET, plan.length(i));
            b[at + KIND_OFFSET] = plan.kind(i);
        }
        return b;
    }

    /** The plan in {@code b}, checked item by item; {@code where} names it in messages. */
    public static ItemPlan decode(byte[] b, int nodesize, String where) throws PlanException {
        if (b.length % ITEM_BYTES != 0 || b.length == 0) {
            throw new PlanException(where + ": a plan of " + b.length + " bytes is not whole items");
        }
        int n = b.length / ITEM_BYTES;
        long[] starts = new long[n];
        int[] lengths = new int[n];
        byte[] kinds = new byte[n];
        long limit = io.sparkbtrfs.image.ImageVersion.V0.itemLimit();
        for (int i = 0; i < n; i++) {
            int at = i * ITEM_BYTES;
            starts[i] = MetadumpFormat.Delta.u64(b, at + START_OFFSET);
            long length = MetadumpFormat.Delta.u32(b, at + LENGTH_OFFSET);
            byte kind = b[at + KIND_OFFSET];
            String bad = null;
            if ((i == 0) != (kind == ItemPlan.SUPERBLOCK)) {
                bad = "kind " + kind + (i == 0 ? " where the superblock belongs" : " (a second superblock?)");
            } else if (kind == ItemPlan.SUPERBLOCK && (starts[i] != Superblock.PRIMARY_OFFSET || length != Superblock.SIZE)) {
                bad = "superblock at " + Long.toUnsignedString(starts[i]) + " of " + length + " bytes";
            } else if (kind != ItemPlan.SUPERBLOCK && kind != ItemPlan.METADATA && kind != ItemPlan.DATA) {
                bad = "unknown kind " + kind;
            } else if (length == 0 || length > limit || (kind == ItemPlan.METADATA && length % nodesize != 0)) {
                bad = "length " + length;
            } else if (Long.compareUnsigned(starts[i], MetadumpFormat.RECORD_LIMIT) < 0) {
                bad = "address " + starts[i] + " (among the records)";
            }
            if (bad != null) {
                throw new PlanException(where + ": plan item " + i + " (offset " + at + " of the plan): " + bad);
            }
            lengths[i] = (int) length;
            kinds[i] = kind;
        }
        return new ItemPlan(starts, lengths, kinds, n);
    }

    /** A plan that is not one a dump wrote. */
    public static final class PlanException extends Exception {
        private static final long serialVersionUID = 1L;

        public PlanException(String message) {
            super(message, null, false, false);
        }
    }
}
