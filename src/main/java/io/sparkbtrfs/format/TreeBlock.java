package io.sparkbtrfs.format;

import static io.sparkbtrfs.format.LittleEndian.u32;
import static io.sparkbtrfs.format.LittleEndian.u64;
import static io.sparkbtrfs.format.LittleEndian.u8;

import java.util.Arrays;

/**
 * Field access on a tree block held in a byte array (at {@code off}, {@code nodesize} bytes).
 *
 * <pre>
 * header (101): csum 0 (32) | fsid 32 (16) | bytenr 48 | flags 56 | chunk_tree_uuid 64 (16)
 *               | generation 80 | owner 88 | nritems 96 (u32) | level 100 (u8)
 * leaf:  nritems × item header at 101 + 25·i: key (17) | data_offset 17 (u32) | data_size 21 (u32);
 *        item data at 101 + data_offset
 * node:  nritems × key pointer at 101 + 33·i: key (17) | blockptr 17 (u64) | generation 25 (u64)
 * </pre>
 *
 * Accessors do not validate; {@link #validate} checks everything the readers rely on so that
 * subsequent item access with {@link #itemInBounds} cannot leave the block.
 */
public final class TreeBlock {
    public static final int CSUM_OFFSET = 0;
    public static final int FSID_OFFSET = CSUM_OFFSET + ChecksumType.FIELD_SIZE;
    public static final int FSID_SIZE = 16;
    public static final int BYTENR_OFFSET = FSID_OFFSET + FSID_SIZE;
    private static final int FLAGS_OFFSET = BYTENR_OFFSET + Long.BYTES;
    private static final int CHUNK_TREE_UUID_OFFSET = FLAGS_OFFSET + Long.BYTES;
    private static final int CHUNK_TREE_UUID_SIZE = 16;
    private static final int GENERATION_OFFSET = CHUNK_TREE_UUID_OFFSET + CHUNK_TREE_UUID_SIZE;
    private static final int OWNER_OFFSET = GENERATION_OFFSET + Long.BYTES;
    private static final int NRITEMS_OFFSET = OWNER_OFFSET + Long.BYTES;
    private static final int LEVEL_OFFSET = NRITEMS_OFFSET + Integer.BYTES;
    public static final int HEADER_SIZE = LEVEL_OFFSET + Byte.BYTES;
    /** A leaf's item header: its key, then where its data lies. */
    private static final int ITEM_DATA_OFFSET_OFFSET = Key.SIZE;
    private static final int ITEM_DATA_SIZE_OFFSET = ITEM_DATA_OFFSET_OFFSET + Integer.BYTES;
    public static final int ITEM_SIZE = ITEM_DATA_SIZE_OFFSET + Integer.BYTES;
    /** A node's key pointer: the child's first key, address and generation. */
    private static final int PTR_BLOCKPTR_OFFSET = Key.SIZE;
    private static final int PTR_GENERATION_OFFSET = PTR_BLOCKPTR_OFFSET + Long.BYTES;
    public static final int KEY_PTR_SIZE = PTR_GENERATION_OFFSET + Long.BYTES;
    public static final int MAX_LEVEL = 8;
    /** Owner of every log tree block (the log root tree's and each subvolume's log). */
    public static final long TREE_LOG_OBJECTID = -6;
    /** The last of the trees btrfs numbers from 1 (the root tree) up: the raid stripe tree. */
    private static final long LAST_FIXED_TREE_OBJECTID = 12;
    /** Subvolume ids (from 256) stay below this: a qgroup id keeps its level in the top 16 bits. */
    private static final long SUBVOLUME_ID_LIMIT = 1L << 48;
    /** The last of the trees btrfs numbers down from the log tree (-6): the free space cache (-11). */
    private static final long LAST_NEGATIVE_TREE_OBJECTID = -11;

    private TreeBlock() {
    }

    /**
     * Whether a header's owner names a tree btrfs could have written: a tree of its own (1 to 12), a subvolume
     * (256 up to 2^48) or a log, relocation or cache tree (-6 to -11). Only for describing a damaged block.
     */
    public static boolean plausibleOwner(long owner) {
        return (owner >= Key.ROOT_TREE_OBJECTID && owner <= LAST_FIXED_TREE_OBJECTID)
                || (owner >= RootItem.FIRST_FREE_OBJECTID && owner < SUBVOLUME_ID_LIMIT)
                || (owner >= LAST_NEGATIVE_TREE_OBJECTID && owner <= TREE_LOG_OBJECTID);
    }

    public static long bytenr(byte[] b, int off) {
        return u64(b, off + BYTENR_OFFSET);
    }

    /** Whether the header's fsid field (16 bytes at 32) holds {@code fsid}. */
    public static boolean hasFsid(byte[] b, int off, byte[] fsid) {
        return Arrays.equals(b, off + FSID_OFFSET, off + FSID_OFFSET + FSID_SIZE, fsid, 0, FSID_SIZE);
    }

    /** Whether the header says this is a block of the filesystem {@code fsid} at {@code logical}. */
    public static boolean isAt(byte[] b, int off, long logical, byte[] fsid) {
        return bytenr(b, off) == logical && hasFsid(b, off, fsid);
    }

    public static long generation(byte[] b, int off) {
        return u64(b, off + GENERATION_OFFSET);
    }

    public static long owner(byte[] b, int off) {
        return u64(b, off + OWNER_OFFSET);
    }

    /** Unsigned item count as stored; may be hostile. */
    public static long nritems(byte[] b, int off) {
        return u32(b, off + NRITEMS_OFFSET);
    }

    public static int level(byte[] b, int off) {
        return u8(b, off + LEVEL_OFFSET);
    }

    public static Key itemKey(byte[] b, int off, int slot) {
        return Key.read(b, item(off, slot));
    }

    public static int itemType(byte[] b, int off, int slot) {
        return u8(b, item(off, slot) + Key.TYPE_OFFSET);
    }

    public static long itemObjectid(byte[] b, int off, int slot) {
        return u64(b, item(off, slot) + Key.OBJECTID_OFFSET);
    }

    public static long itemKeyOffset(byte[] b, int off, int slot) {
        return u64(b, item(off, slot) + Key.OFFSET_OFFSET);
    }

    /**
     * Writes leaf item header {@code slot}: key, data offset (relative to the end of the header) and size. The
     * caller keeps the leaf consistent (sorted keys, data packed from the block end in slot order).
     */
    public static void setItem(byte[] b, int off, int slot, long objectid, int type, long keyOffset, int dataOffset,
            int size) {
        int h = item(off, slot);
        LittleEndian.put64(b, h + Key.OBJECTID_OFFSET, objectid);
        b[h + Key.TYPE_OFFSET] = (byte) type;
        LittleEndian.put64(b, h + Key.OFFSET_OFFSET, keyOffset);
        setItemOffset(b, off, slot, dataOffset);
        setItemSize(b, off, slot, size);
    }

    public static void setNritems(byte[] b, int off, int nritems) {
        LittleEndian.put32(b, off + NRITEMS_OFFSET, nritems);
    }

    /** Sets item {@code slot}'s data offset (relative to the end of the header). */
    public static void setItemOffset(byte[] b, int off, int slot, long dataOffset) {
        LittleEndian.put32(b, item(off, slot) + ITEM_DATA_OFFSET_OFFSET, dataOffset);
    }

    public static void setItemSize(byte[] b, int off, int slot, long size) {
        LittleEndian.put32(b, item(off, slot) + ITEM_DATA_SIZE_OFFSET, size);
    }

    /** Sets the key of node pointer {@code slot} (the first key of its child). */
    public static void setNodeKey(byte[] b, int off, int slot, Key key) {
        key.write(b, keyPtr(off, slot));
    }

    /** Array index of leaf item header {@code slot}. */
    private static int item(int off, int slot) {
        return off + HEADER_SIZE + ITEM_SIZE * slot;
    }

    /** Array index of node key pointer {@code slot}. */
    private static int keyPtr(int off, int slot) {
        return off + HEADER_SIZE + KEY_PTR_SIZE * slot;
    }

    /** Data offset relative to the end of the header (unsigned, unvalidated). */
    public static long itemOffset(byte[] b, int off, int slot) {
        return u32(b, item(off, slot) + ITEM_DATA_OFFSET_OFFSET);
    }

    public static long itemSize(byte[] b, int off, int slot) {
        return u32(b, item(off, slot) + ITEM_DATA_SIZE_OFFSET);
    }

    /** Whether item {@code slot}'s data lies within the block, after the item headers. */
    public static boolean itemInBounds(byte[] b, int off, int nodesize, int slot, int nritems) {
        long dataStart = HEADER_SIZE + itemOffset(b, off, slot);
        long dataEnd = dataStart + itemSize(b, off, slot);
        return dataStart >= HEADER_SIZE + (long) ITEM_SIZE * nritems && dataEnd <= nodesize;
    }

    /** Absolute array index of item {@code slot}'s data (valid only if {@link #itemInBounds}). */
    public static int itemDataStart(byte[] b, int off, int slot) {
        return off + HEADER_SIZE + (int) itemOffset(b, off, slot);
    }

    public static Key nodeKey(byte[] b, int off, int slot) {
        return Key.read(b, keyPtr(off, slot));
    }

    public static long nodeKeyOffset(byte[] b, int off, int slot) {
        return u64(b, keyPtr(off, slot) + Key.OFFSET_OFFSET);
    }

    /** Changes the offset of key pointer {@code slot}'s key (objectid and type stay). */
    public static void setNodeKeyOffset(byte[] b, int off, int slot, long keyOffset) {
        LittleEndian.put64(b, keyPtr(off, slot) + Key.OFFSET_OFFSET, keyOffset);
    }

    public static int nodeKeyType(byte[] b, int off, int slot) {
        return u8(b, keyPtr(off, slot) + Key.TYPE_OFFSET);
    }

    public static long nodeKeyObjectid(byte[] b, int off, int slot) {
        return u64(b, keyPtr(off, slot) + Key.OBJECTID_OFFSET);
    }

    public static long childPointer(byte[] b, int off, int slot) {
        return u64(b, keyPtr(off, slot) + PTR_BLOCKPTR_OFFSET);
    }

    public static void setChildPointer(byte[] b, int off, int slot, long bytenr) {
        LittleEndian.put64(b, keyPtr(off, slot) + PTR_BLOCKPTR_OFFSET, bytenr);
    }

    /** The generation the child of pointer {@code slot} must carry (the kernel's "parent transid"). */
    public static long childGeneration(byte[] b, int off, int slot) {
        return u64(b, keyPtr(off, slot) + PTR_GENERATION_OFFSET);
    }

    /** The maximum item count a block of this size and level can hold. */
    public static long maxItems(int nodesize, int level) {
        return level == 0 ? (nodesize - HEADER_SIZE) / ITEM_SIZE : (nodesize - HEADER_SIZE) / KEY_PTR_SIZE;
    }

    /**
     * Validates a tree block read for logical address {@code logical}: the checksum with the
     * filesystem's algorithm, the header bytenr, the fsid, the level and the item count. Returns null if
     * valid, else the reason (for messages and for trying the next mirror).
     */
    public static String validate(byte[] b, int off, int nodesize, long logical, ChecksumType csum, byte[] fsid) {
        if (!csum.verify(b, off, nodesize)) {
            return "checksum mismatch (" + csum.displayName() + ")";
        }
        long found = bytenr(b, off);
        if (found != logical) {
            return "header bytenr " + Long.toUnsignedString(found) + " does not match";
        }
        if (!hasFsid(b, off, fsid)) {
            return "fsid does not match the filesystem";
        }
        int level = level(b, off);
        if (level >= MAX_LEVEL) {
            return "invalid level " + level;
        }
        long n = nritems(b, off);
        if (n > maxItems(nodesize, level)) {
            return "item count " + n + " exceeds the maximum for level " + level;
        }
        if (level > 0 && n == 0) {
            return "node without pointers";
        }
        return null;
    }

    /**
     * Why a block that {@link #validate} accepts cannot belong to the filesystem state {@code sb} records:
     * it was written after that superblock (by a later transaction; log blocks belong to the next one).
     * Null if it can. On a healthy filesystem that nobody writes, no block a superblock reaches is newer
     * than it; a damaged one may have such blocks ("bad transid").
     */
    public static String newerThan(byte[] b, int off, Superblock sb) {
        long generation = generation(b, off);
        long newest = owner(b, off) == TREE_LOG_OBJECTID ? sb.logRootGeneration() : sb.generation();
        if (Long.compareUnsigned(generation, newest) <= 0) {
            return null;
        }
        return "generation " + Long.toUnsignedString(generation) + " is newer than the superblock's "
                + Long.toUnsignedString(sb.generation()) + " (written after it)";
    }
}
