package io.sparkbtrfs.format;

import static io.sparkbtrfs.format.LittleEndian.u16;
import static io.sparkbtrfs.format.LittleEndian.u64;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A chunk: logical range [start, start+length) and its stripes (devid, physical offset); and the static setters
 * that write a chunk item held as bytes.
 *
 * <pre>
 * chunk item := length 0 | owner 8 | stripe_len 16 | type 24 | io_align 32 (u32) | io_width 36 (u32)
 *               | sector_size 40 (u32) | num_stripes 44 (u16) | sub_stripes 46 (u16) | stripe{num_stripes} at 48
 * stripe     := devid 0 | offset 8 (physical, on that device) | dev_uuid 16 (16)                    (32 bytes)
 * </pre>
 *
 * The item's key is (256, CHUNK_ITEM, logical start), in the chunk tree and in the superblock's sys_chunk_array.
 */
public final class ChunkItem implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final int LENGTH_OFFSET = 0;
    public static final int OWNER_OFFSET = LENGTH_OFFSET + Long.BYTES;
    public static final int STRIPE_LEN_OFFSET = OWNER_OFFSET + Long.BYTES;
    public static final int TYPE_OFFSET = STRIPE_LEN_OFFSET + Long.BYTES;
    public static final int IO_ALIGN_OFFSET = TYPE_OFFSET + Long.BYTES;
    public static final int IO_WIDTH_OFFSET = IO_ALIGN_OFFSET + Integer.BYTES;
    public static final int SECTOR_SIZE_OFFSET = IO_WIDTH_OFFSET + Integer.BYTES;
    public static final int NUM_STRIPES_OFFSET = SECTOR_SIZE_OFFSET + Integer.BYTES;
    public static final int SUB_STRIPES_OFFSET = NUM_STRIPES_OFFSET + Short.BYTES;
    public static final int HEADER_SIZE = SUB_STRIPES_OFFSET + Short.BYTES;
    public static final int STRIPE_DEVID_OFFSET = 0;
    public static final int STRIPE_OFFSET_OFFSET = STRIPE_DEVID_OFFSET + Long.BYTES;
    public static final int STRIPE_DEV_UUID_OFFSET = STRIPE_OFFSET_OFFSET + Long.BYTES;
    public static final int STRIPE_SIZE = STRIPE_DEV_UUID_OFFSET + DevItem.UUID_SIZE;
    /** The only stripe length the kernel accepts (its tree checker rejects others). */
    public static final long STRIPE_LEN = 64 * 1024;
    /** The objectid of every chunk item's key. */
    public static final long KEY_OBJECTID = Key.FIRST_CHUNK_TREE_OBJECTID;

    public static final long TYPE_DATA = 1;
    public static final long TYPE_SYSTEM = 2;
    public static final long TYPE_METADATA = 4;
    public static final long RAID0 = 8;
    public static final long RAID1 = 16;
    public static final long DUP = 32;
    public static final long RAID10 = 64;
    public static final long RAID5 = 128;
    public static final long RAID6 = 256;
    public static final long RAID1C3 = 512;
    public static final long RAID1C4 = 1024;
    /** btrfs-progs 6.19's experimental remap tree: a relocated block group, and the chunks the remap tree lives in. */
    public static final long TYPE_REMAPPED = 1L << 11;
    public static final long TYPE_METADATA_REMAP = 1L << 12;
    /** What a chunk holds, as opposed to its profile (DUP, RAID...). */
    public static final long KIND_BITS = TYPE_DATA | TYPE_SYSTEM | TYPE_METADATA | TYPE_REMAPPED | TYPE_METADATA_REMAP;
    /** Chunks that hold tree blocks. */
    public static final long TREE_BLOCK_KINDS = TYPE_SYSTEM | TYPE_METADATA | TYPE_METADATA_REMAP;

    private final long start;
    private final long length;
    private final long stripeLen;
    private final long type;
    private final int subStripes;
    private final long[] devids;
    private final long[] offsets;

    public ChunkItem(long start, long length, long stripeLen, long type, int subStripes, long[] devids, long[] offsets) {
        this.start = start;
        this.length = length;
        this.stripeLen = stripeLen;
        this.type = type;
        this.subStripes = subStripes;
        this.devids = devids.clone();
        this.offsets = offsets.clone();
    }

    /**
     * Parses a chunk item at {@code b[off..]} with at most {@code avail} bytes available, validating what
     * the mapping arithmetic depends on (non-zero length and stripe length, stripe count fits, RAID10 geometry).
     */
    public static ChunkItem parse(long logical, byte[] b, int off, int avail, String where) throws BtrfsFormatException {
        if (avail < HEADER_SIZE) {
            throw new BtrfsFormatException(where + ": chunk item truncated");
        }
        long length = u64(b, off + LENGTH_OFFSET);
        long stripeLen = u64(b, off + STRIPE_LEN_OFFSET);
        long type = type(b, off);
        int numStripes = numStripes(b, off);
        int subStripes = u16(b, off + SUB_STRIPES_OFFSET);
        if (numStripes == 0) {
            throw new BtrfsFormatException(where + ": chunk at " + Long.toUnsignedString(logical) + " has no stripes");
        }
        if ((long) HEADER_SIZE + (long) STRIPE_SIZE * numStripes > avail) {
            throw new BtrfsFormatException(where + ": chunk at " + Long.toUnsignedString(logical) + " claims "
                    + numStripes + " stripes, more than its item holds");
        }
        if (length == 0 || stripeLen == 0 || stripeLen > (1L << 30) || Long.bitCount(stripeLen) != 1) {
            throw new BtrfsFormatException(where + ": chunk at " + Long.toUnsignedString(logical)
                    + " has invalid length " + Long.toUnsignedString(length) + " or stripe length " + stripeLen);
        }
        long end = logical + length;
        if (Long.compareUnsigned(end, logical) < 0 && end != 0) {
            throw new BtrfsFormatException(where + ": chunk at " + Long.toUnsignedString(logical) + " wraps around");
        }
        if ((type & RAID10) != 0 && (subStripes < 1 || numStripes % subStripes != 0)) {
            throw new BtrfsFormatException(where + ": RAID10 chunk at " + Long.toUnsignedString(logical)
                    + " has " + numStripes + " stripes and " + subStripes + " sub-stripes");
        }
        int parity = (type & RAID5) != 0 ? 1 : (type & RAID6) != 0 ? 2 : 0;
        if (parity > 0 && numStripes <= parity) {
            throw new BtrfsFormatException(where + ": RAID5/6 chunk at " + Long.toUnsignedString(logical)
                    + " has only " + numStripes + " stripes");
        }
        long[] devids = new long[numStripes];
        long[] offsets = new long[numStripes];
        for (int i = 0; i < numStripes; i++) {
            int s = stripe(off, i);
            devids[i] = u64(b, s + STRIPE_DEVID_OFFSET);
            offsets[i] = u64(b, s + STRIPE_OFFSET_OFFSET);
        }
        return new ChunkItem(logical, length, stripeLen, type, subStripes, devids, offsets);
    }

    public int itemSize() {
        return itemSize(devids.length);
    }

    public long start() {
        return start;
    }

    public long length() {
        return length;
    }

    /** Exclusive end; may be 0 for a chunk ending at 2^64. */
    public long end() {
        return start + length;
    }

    public boolean contains(long logical) {
        return Long.compareUnsigned(logical, start) >= 0 && Long.compareUnsigned(logical - start, length) < 0;
    }

    public long stripeLen() {
        return stripeLen;
    }

    public long type() {
        return type;
    }

    public int numStripes() {
        return devids.length;
    }

    public int subStripes() {
        return subStripes;
    }

    public long devid(int stripe) {
        return devids[stripe];
    }

    public long offset(int stripe) {
        return offsets[stripe];
    }

    /** How many independent copies a read may try. */
    public int copies() {
        if ((type & (DUP | RAID1 | RAID1C3 | RAID1C4)) != 0) {
            return devids.length;
        }
        if ((type & RAID10) != 0) {
            return subStripes;
        }
        return 1;
    }

    /**
     * Where copy {@code mirror} (0-based) of logical address {@code logical} lives, as a stripe index and
     * a physical offset packed in a {@link Location}. The caller must not cross a stripe boundary with one read.
     */
    public Location locate(long logical, int mirror) {
        long offset = logical - start;
        long stripeNr = offset / stripeLen;
        long inStripe = offset % stripeLen;
        int n = devids.length;
        int idx;
        long physical;
        if ((type & (DUP | RAID1 | RAID1C3 | RAID1C4)) != 0) {
            idx = mirror;
            physical = offsets[idx] + offset;
        } else if ((type & RAID0) != 0) {
            idx = (int) (stripeNr % n);
            physical = offsets[idx] + (stripeNr / n) * stripeLen + inStripe;
        } else if ((type & RAID10) != 0) {
            int factor = n / subStripes;
            idx = (int) (stripeNr % factor) * subStripes + mirror;
            physical = offsets[idx] + (stripeNr / factor) * stripeLen + inStripe;
        } else if ((type & (RAID5 | RAID6)) != 0) {
            int data = dataStripes();
            Location strip = rowStrip(stripeNr / data, (int) (stripeNr % data));
            return new Location(strip.devid(), strip.physical() + inStripe);
        } else {
            idx = 0;
            physical = offsets[0] + offset;
        }
        return new Location(devids[idx], physical);
    }

    /** RAID5: 1, RAID6: 2 parity strips per full stripe; 0 for every other profile. */
    public int parityStripes() {
        return (type & RAID5) != 0 ? 1 : (type & RAID6) != 0 ? 2 : 0;
    }

    /** RAID5/6: the data strips of one full stripe. */
    public int dataStripes() {
        return devids.length - parityStripes();
    }

    /** RAID5/6: the full stripe ("row") that {@code logical} belongs to. */
    public long row(long logical) {
        return (logical - start) / stripeLen / dataStripes();
    }

    /**
     * RAID5/6: where strip {@code index} of full stripe {@code row} lives, strips numbered as btrfs numbers
     * them: data strips 0 .. data−1 in logical order, then P, then Q. The strips of row r start at stripe
     * (index + r) mod num_stripes, rotating parity over the devices.
     */
    public Location rowStrip(long row, int index) {
        int idx = (int) ((row + index) % devids.length);
        return new Location(devids[idx], offsets[idx] + row * stripeLen);
    }

    /** Bytes from {@code logical} to the end of its stripe (or chunk): the longest single-device run. */
    public long contiguousFrom(long logical) {
        long offset = logical - start;
        if ((type & (RAID0 | RAID10 | RAID5 | RAID6)) == 0) {
            return length - offset; // every copy is one contiguous range on its device
        }
        long toStripeEnd = stripeLen - offset % stripeLen;
        return Math.min(toStripeEnd, length - offset);
    }

    // ----------------------------------------------------------------- chunk item bytes being written

    /** The type of the chunk item at {@code b[item..]} (kind and profile bits). */
    public static long type(byte[] b, int item) {
        return u64(b, item + TYPE_OFFSET);
    }

    public static void setType(byte[] b, int item, long type) {
        LittleEndian.put64(b, item + TYPE_OFFSET, type);
    }

    /** num_stripes of the chunk item at {@code b[item..]}, as stored (unvalidated). */
    public static int numStripes(byte[] b, int item) {
        return u16(b, item + NUM_STRIPES_OFFSET);
    }

    /**
     * Writes the fields of a chunk item before its stripe count: owner the extent tree (as btrfs writes every
     * chunk), io_align, io_width and sector_size all {@code sectorsize} (as btrfs-image writes the chunks it rewrites).
     */
    public static void setHeader(byte[] b, int item, long length, long stripeLen, long type, int sectorsize) {
        LittleEndian.put64(b, item + LENGTH_OFFSET, length);
        LittleEndian.put64(b, item + OWNER_OFFSET, Key.EXTENT_TREE_OBJECTID);
        LittleEndian.put64(b, item + STRIPE_LEN_OFFSET, stripeLen);
        setType(b, item, type);
        LittleEndian.put32(b, item + IO_ALIGN_OFFSET, sectorsize);
        LittleEndian.put32(b, item + IO_WIDTH_OFFSET, sectorsize);
        LittleEndian.put32(b, item + SECTOR_SIZE_OFFSET, sectorsize);
    }

    /** Sets num_stripes and sub_stripes; the item must have room for the stripes ({@link #setStripe}). */
    public static void setStripeCounts(byte[] b, int item, int numStripes, int subStripes) {
        LittleEndian.put16(b, item + NUM_STRIPES_OFFSET, numStripes);
        LittleEndian.put16(b, item + SUB_STRIPES_OFFSET, subStripes);
    }

    /** Writes stripe {@code i} of the chunk item at {@code b[item..]}. */
    public static void setStripe(byte[] b, int item, int i, long devid, long physical, byte[] devUuid) {
        int s = stripe(item, i);
        LittleEndian.put64(b, s + STRIPE_DEVID_OFFSET, devid);
        LittleEndian.put64(b, s + STRIPE_OFFSET_OFFSET, physical);
        System.arraycopy(devUuid, 0, b, s + STRIPE_DEV_UUID_OFFSET, DevItem.UUID_SIZE);
    }

    /** The size of a chunk item with {@code stripes} stripes. */
    public static int itemSize(int stripes) {
        return HEADER_SIZE + STRIPE_SIZE * stripes;
    }

    private static int stripe(int item, int i) {
        return item + HEADER_SIZE + STRIPE_SIZE * i;
    }

    /** A device and a physical offset on it. */
    public record Location(long devid, long physical) {
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkItem c && c.start == start && c.length == length && c.stripeLen == stripeLen
                && c.type == type && c.subStripes == subStripes && Arrays.equals(c.devids, devids)
                && Arrays.equals(c.offsets, offsets);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(start) * 31 + Long.hashCode(length);
    }

    @Override
    public String toString() {
        return "chunk " + Long.toUnsignedString(start) + "+" + Long.toUnsignedString(length) + " type 0x"
                + Long.toHexString(type) + " stripes " + devids.length;
    }
}
