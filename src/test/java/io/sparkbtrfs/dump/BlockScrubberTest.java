package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.testing.Fast;

/**
 * Zeroing of tree blocks (spec §3.6) on leaves and nodes built in memory (nodesize 4096, crc32c unless stated),
 * and robustness against hostile leaves: no exception, no write outside the block.
 *
 * <p>Every block sits at {@link #OFF} inside a larger array whose other bytes are {@link #SENTINEL}.
 */
@Fast
class BlockScrubberTest {
    private static final int NODESIZE = 4096;
    private static final int OFF = 3 * 4096 + 77;
    private static final int TAIL = 5000;
    private static final byte SENTINEL = (byte) 0xC3;
    private static final byte GARBAGE = (byte) 0xEE;
    private static final int H = TreeBlock.HEADER_SIZE;
    private static final int EXTENT_CSUM = 128;
    private static final int INODE_ITEM = 1;

    private static final BlockScrubber CRC = new BlockScrubber(NODESIZE, ChecksumType.CRC32C, LeafItemTransform.NONE);

    /** An array with the block area filled with garbage and the rest with the sentinel; header fields set. */
    private static byte[] array(long nritems, int level, long seed) {
        byte[] b = new byte[OFF + NODESIZE + TAIL];
        Arrays.fill(b, SENTINEL);
        Arrays.fill(b, OFF, OFF + NODESIZE, GARBAGE);
        Random r = new Random(seed);
        byte[] header = new byte[H];
        r.nextBytes(header);
        System.arraycopy(header, 0, b, OFF, H);
        Arrays.fill(b, OFF, OFF + 32, (byte) 0); // csum field
        b[OFF + 20] = 0x11; // a byte of the csum field past crc32c's 4 bytes, which store must keep
        LittleEndian.put64(b, OFF + 48, 30_000_000L); // bytenr
        LittleEndian.put32(b, OFF + 96, nritems);
        b[OFF + 100] = (byte) level;
        return b;
    }

    /** An item for {@link #leaf}: key type and its data. */
    private record Item(int type, byte[] data) {
    }

    private static Item item(int type, int size, int seed) {
        byte[] d = new byte[size];
        new Random(seed).nextBytes(d);
        for (int i = 0; i < size; i++) {
            if (d[i] == 0) {
                d[i] = 1; // non-zero, so that zeroing is visible
            }
        }
        return new Item(type, d);
    }

    /** A file_extent_item of the given extent type: 21 header bytes (type at 20) plus {@code body} more. */
    private static Item extent(byte extentType, int body, int seed) {
        Item it = item(Key.EXTENT_DATA, 21 + body, seed);
        it.data[20] = extentType;
        return it;
    }

    /** A well-formed leaf: item 0's data last in the block, the free gap left as garbage. */
    private static byte[] leaf(Item... items) {
        byte[] b = array(items.length, 0, items.length);
        int dataEnd = NODESIZE - H; // relative to the end of the header
        for (int i = 0; i < items.length; i++) {
            int h = OFF + H + TreeBlock.ITEM_SIZE * i;
            LittleEndian.put64(b, h, 256 + i);
            b[h + 8] = (byte) items[i].type;
            LittleEndian.put64(b, h + 9, i);
            dataEnd -= items[i].data.length;
            LittleEndian.put32(b, h + 17, dataEnd);
            LittleEndian.put32(b, h + 21, items[i].data.length);
            System.arraycopy(items[i].data, 0, b, OFF + H + dataEnd, items[i].data.length);
        }
        return b;
    }

    private static int dataStart(byte[] b, int slot) {
        return OFF + H + (int) TreeBlock.itemOffset(b, OFF, slot);
    }

    private static void assertSentinelIntact(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (i < OFF || i >= OFF + NODESIZE) {
                assertEquals(SENTINEL, b[i], "byte " + i + " outside the block was written");
            }
        }
    }

    private static void assertZero(byte[] b, int from, int to, String what) {
        for (int i = from; i < to; i++) {
            assertEquals(0, b[i], what + ": byte " + (i - OFF) + " of the block");
        }
    }

    private static void assertUnchanged(byte[] before, byte[] after, int from, int to, String what) {
        assertArrayEquals(Arrays.copyOfRange(before, from, to), Arrays.copyOfRange(after, from, to), what);
    }

    /** Checksum valid, csum bytes 4..31 and header bytes 32..100 kept, nothing outside the block written. */
    private static void assertCommon(byte[] before, byte[] after) {
        assertTrue(ChecksumType.CRC32C.verify(after, OFF, NODESIZE), "checksum after scrub");
        assertUnchanged(before, after, OFF + 4, OFF + H, "csum field past 4 bytes and header");
        assertSentinelIntact(after);
    }

    @Test
    void leafGapIsZeroedAndItemsKept() {
        byte[] b = leaf(item(INODE_ITEM, 160, 1), item(Key.DIR_ITEM, 40, 2), item(Key.INODE_REF, 20, 3));
        byte[] before = b.clone();
        CRC.scrub(b, OFF);
        int gapStart = OFF + H + 3 * TreeBlock.ITEM_SIZE;
        int gapEnd = dataStart(b, 2);
        assertEquals(OFF + NODESIZE - 220, gapEnd);
        assertUnchanged(before, b, OFF + H, gapStart, "item headers");
        assertZero(b, gapStart, gapEnd, "free gap");
        assertUnchanged(before, b, gapEnd, OFF + NODESIZE, "item data");
        assertCommon(before, b);
    }

    @Test
    void fullLeafHasNoGap() {
        // 2 items: headers end at 151; data fills 151..4096 exactly
        byte[] b = leaf(item(INODE_ITEM, 3000, 1), item(INODE_ITEM, NODESIZE - H - 50 - 3000, 2));
        assertEquals(OFF + H + 50, dataStart(b, 1));
        byte[] before = b.clone();
        CRC.scrub(b, OFF);
        assertUnchanged(before, b, OFF + 32, OFF + NODESIZE, "everything but the checksum");
        assertCommon(before, b);
    }

    @Test
    void inlineExtentDataIsZeroedFromOffset21() {
        Item inline = extent((byte) 0, 300, 1);
        Item reg = extent((byte) 1, 32, 2); // 53 bytes
        Item prealloc = extent((byte) 2, 32, 3);
        Item inlineEmpty = extent((byte) 0, 0, 4); // exactly 21 bytes: nothing to zero
        byte[] b = leaf(inline, reg, prealloc, inlineEmpty);
        byte[] before = b.clone();
        CRC.scrub(b, OFF);
        int s0 = dataStart(b, 0);
        assertUnchanged(before, b, s0, s0 + 21, "inline extent header");
        assertZero(b, s0 + 21, s0 + 321, "inline data");
        assertUnchanged(before, b, dataStart(b, 1), dataStart(b, 1) + 53, "REG extent");
        assertUnchanged(before, b, dataStart(b, 2), dataStart(b, 2) + 53, "PREALLOC extent");
        assertUnchanged(before, b, dataStart(b, 3), dataStart(b, 3) + 21, "empty inline extent");
        assertCommon(before, b);
    }

    @Test
    void obsoleteCsumItemIsZeroedExtentCsumKept() {
        byte[] b = leaf(item(Key.OBSOLETE_CSUM_ITEM, 200, 1), item(EXTENT_CSUM, 216, 2), item(Key.XATTR_ITEM, 64, 3));
        byte[] before = b.clone();
        CRC.scrub(b, OFF);
        assertZero(b, dataStart(b, 0), dataStart(b, 0) + 200, "type 120");
        assertUnchanged(before, b, dataStart(b, 1), dataStart(b, 1) + 216, "type 128 (EXTENT_CSUM)");
        assertUnchanged(before, b, dataStart(b, 2), dataStart(b, 2) + 64, "xattr (no sanitizing)");
        assertCommon(before, b);
    }

    @Test
    void nodeTailIsZeroedAfterTheLastKeyPointer() {
        byte[] b = array(3, 1, 7);
        byte[] before = b.clone();
        CRC.scrub(b, OFF);
        int end = OFF + H + 3 * TreeBlock.KEY_PTR_SIZE;
        assertUnchanged(before, b, OFF + H, end, "key pointers");
        assertZero(b, end, OFF + NODESIZE, "node tail");
        assertCommon(before, b);
    }

    @Test
    void fullNodeKeepsEverything() {
        long max = TreeBlock.maxItems(NODESIZE, 1); // 121 pointers end at 4094
        byte[] b = array(max, 2, 8);
        byte[] before = b.clone();
        CRC.scrub(b, OFF);
        int end = OFF + H + (int) max * TreeBlock.KEY_PTR_SIZE;
        assertUnchanged(before, b, OFF + H, end, "key pointers");
        assertZero(b, end, OFF + NODESIZE, "node tail");
        assertCommon(before, b);
    }

    @Test
    void emptyLeafIsZeroedAfterTheHeader() {
        byte[] b = array(0, 0, 9);
        byte[] before = b.clone();
        CRC.scrub(b, OFF);
        assertZero(b, OFF + H, OFF + NODESIZE, "empty leaf");
        assertCommon(before, b);
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void checksumIsValidForTheFilesystemsAlgorithm(ChecksumType t) {
        byte[] b = leaf(item(INODE_ITEM, 160, 1), extent((byte) 0, 100, 2));
        byte[] before = b.clone();
        new BlockScrubber(NODESIZE, t, LeafItemTransform.NONE).scrub(b, OFF);
        assertTrue(t.verify(b, OFF, NODESIZE), t.displayName());
        assertUnchanged(before, b, OFF + t.size(), OFF + 32, "rest of the csum field");
        assertSentinelIntact(b);
    }

    @Test
    void scrubIsIdempotent() {
        byte[] b = leaf(item(INODE_ITEM, 160, 1), extent((byte) 0, 100, 2), item(Key.OBSOLETE_CSUM_ITEM, 8, 3));
        CRC.scrub(b, OFF);
        byte[] once = b.clone();
        CRC.scrub(b, OFF);
        assertArrayEquals(once, b);
    }

    @Test
    void transformSeesOnlyInBoundsItemsOfItsTypes() {
        List<int[]> calls = new ArrayList<>();
        LeafItemTransform names = new LeafItemTransform() {
            @Override
            public boolean handles(int keyType) {
                return keyType == Key.DIR_ITEM;
            }

            @Override
            public void apply(byte[] block, int blockOffset, int slot, int start, int size) {
                calls.add(new int[] {blockOffset, slot, start, size});
                Arrays.fill(block, start, start + size, (byte) 'x');
            }
        };
        byte[] b = leaf(item(Key.DIR_ITEM, 50, 1), item(INODE_ITEM, 30, 2), item(Key.DIR_ITEM, 40, 3),
                item(Key.DIR_ITEM, 10, 4));
        LittleEndian.put32(b, OFF + H + 2 * TreeBlock.ITEM_SIZE + 17, 5000); // slot 2 points past the block
        byte[] before = b.clone();
        new BlockScrubber(NODESIZE, ChecksumType.CRC32C, names).scrub(b, OFF);
        assertEquals(2, calls.size());
        assertArrayEquals(new int[] {OFF, 0, dataStart(before, 0), 50}, calls.get(0));
        assertArrayEquals(new int[] {OFF, 3, dataStart(before, 3), 10}, calls.get(1));
        assertCommon(before, b);
    }

    /** A transform that changes nothing but asks for the slack of leaves to be zeroed (as sanitizing does). */
    private static final LeafItemTransform SLACK = new LeafItemTransform() {
        @Override
        public boolean handles(int keyType) {
            return false;
        }

        @Override
        public void apply(byte[] block, int blockOffset, int slot, int start, int size) {
        }

        @Override
        public boolean zeroesSlack() {
            return true;
        }
    };

    /** Items moved apart (data no longer packed): the bytes between them are not any item's, and are zeroed. */
    @Test
    void slackBetweenItemsIsZeroedWhenAsked() {
        byte[] b = leaf(item(INODE_ITEM, 160, 1), item(Key.DIR_ITEM, 40, 2), item(Key.INODE_REF, 20, 3));
        // slot 1 and 2 move 7 and 20 bytes towards the headers: gaps after each of them
        setItem(b, 1, TreeBlock.itemOffset(b, OFF, 1) - 7, 40);
        setItem(b, 2, TreeBlock.itemOffset(b, OFF, 2) - 20, 20);
        System.arraycopy(b, dataStart(b, 1) + 7, b, dataStart(b, 1), 40);
        System.arraycopy(b, dataStart(b, 2) + 20, b, dataStart(b, 2), 20);
        byte[] plain = b.clone();
        byte[] before = b.clone();
        new BlockScrubber(NODESIZE, ChecksumType.CRC32C, SLACK).scrub(b, OFF);
        assertZero(b, dataStart(b, 1) + 40, dataStart(b, 0), "slack after slot 1");
        assertZero(b, dataStart(b, 2) + 20, dataStart(b, 1), "slack after slot 2");
        assertZero(b, OFF + H + 3 * TreeBlock.ITEM_SIZE, dataStart(b, 2), "free gap");
        for (int slot = 0; slot < 3; slot++) {
            int at = dataStart(before, slot);
            assertUnchanged(before, b, at, at + (int) TreeBlock.itemSize(before, OFF, slot), "item " + slot);
        }
        assertCommon(before, b);
        // a plain dump keeps the slack, as the reference does
        CRC.scrub(plain, OFF);
        assertUnchanged(before, plain, dataStart(before, 1) + 40, dataStart(before, 0), "slack of a plain dump");
    }

    /**
     * Items out of slot order (and one overlapping another) take the general path: only uncovered bytes go. (As in
     * the reference, everything below the last slot's data counts as free space and is zeroed in any case.)
     */
    @Test
    void slackOfUnorderedItemsIsZeroedWhenAsked() {
        byte[] b = leaf(item(INODE_ITEM, 100, 1), item(Key.DIR_ITEM, 40, 2), item(Key.INODE_REF, 20, 3));
        int end = NODESIZE - H;
        setItem(b, 0, end - 150, 20);
        setItem(b, 1, end - 100, 100); // after slot 0's data: out of order
        setItem(b, 2, end - 200, 60); // overlaps slot 0 by 10 bytes
        byte[] before = b.clone();
        new BlockScrubber(NODESIZE, ChecksumType.CRC32C, SLACK).scrub(b, OFF);
        int base = OFF + H;
        assertZero(b, base + 3 * TreeBlock.ITEM_SIZE, base + end - 200, "free gap");
        assertUnchanged(before, b, base + end - 200, base + end - 130, "items 2 and 0");
        assertZero(b, base + end - 130, base + end - 100, "between item 0 and item 1");
        assertUnchanged(before, b, base + end - 100, OFF + NODESIZE, "item 1");
        assertCommon(before, b);
    }

    // ---- hostile leaves ------------------------------------------------------------------------------------------

    private static void setItem(byte[] b, int slot, long offset, long size) {
        int h = OFF + H + TreeBlock.ITEM_SIZE * slot;
        LittleEndian.put32(b, h + 17, offset);
        LittleEndian.put32(b, h + 21, size);
    }

    private static void setType(byte[] b, int slot, int type) {
        b[OFF + H + TreeBlock.ITEM_SIZE * slot + 8] = (byte) type;
    }

    /** Scrubs a hostile block: must not throw, must stay inside the block, must leave a valid checksum. */
    private static byte[] survive(byte[] b) {
        byte[] before = b.clone();
        CRC.scrub(b, OFF);
        assertCommon(before, b);
        return before;
    }

    @Test
    void itemOffsetPastTheBlock() {
        for (int type : new int[] {Key.EXTENT_DATA, Key.OBSOLETE_CSUM_ITEM, INODE_ITEM}) {
            for (long offset : new long[] {NODESIZE - H, NODESIZE, 5000, 0x7FFF_FFFFL, 0xFFFF_FFFFL}) {
                // the middle item is hostile; the others are fine and still get scrubbed
                byte[] b = leaf(extent((byte) 0, 100, 1), item(type, 30, 2), item(Key.OBSOLETE_CSUM_ITEM, 40, 3));
                setItem(b, 1, offset, 30);
                byte[] before = survive(b);
                assertZero(b, dataStart(before, 0) + 21, dataStart(before, 0) + 121, "in-bounds inline item");
                assertZero(b, dataStart(before, 2), dataStart(before, 2) + 40, "in-bounds csum item");
                assertUnchanged(before, b, OFF + H, OFF + H + 3 * TreeBlock.ITEM_SIZE, "item headers");
            }
        }
    }

    @Test
    void lastItemOffsetPastTheBlock() {
        // the gap runs to item n-1's data, which is outside: zeroing must stop at the block end
        for (long offset : new long[] {NODESIZE, 0xFFFF_FFF0L}) {
            byte[] b = leaf(extent((byte) 0, 100, 1), extent((byte) 0, 30, 2));
            setItem(b, 1, offset, 30);
            survive(b);
        }
    }

    @Test
    void itemSizeRunsPastTheBlock() {
        for (int type : new int[] {Key.EXTENT_DATA, Key.OBSOLETE_CSUM_ITEM, INODE_ITEM, Key.DIR_ITEM}) {
            for (long size : new long[] {200, 4000, 0x7FFF_FFFFL, 0xFFFF_FFFFL}) {
                byte[] b = leaf(extent((byte) 0, 100, 1), item(type, 100, 2));
                int off1 = (int) TreeBlock.itemOffset(b, OFF, 1);
                setItem(b, 1, off1, size);
                if (type == Key.EXTENT_DATA) {
                    b[dataStart(b, 1) + 20] = 0; // inline
                }
                survive(b);
            }
        }
    }

    @Test
    void extentDataItemTooSmallForTheTypeByte() {
        for (int size : new int[] {0, 1, 10, 20}) {
            byte[] b = leaf(item(Key.EXTENT_DATA, Math.max(size, 1), 1), extent((byte) 0, 50, 2));
            setItem(b, 0, TreeBlock.itemOffset(b, OFF, 0), size);
            // offset 20, where the extent type would be, lies past this small item and must not be used
            byte[] before = survive(b);
            int s0 = dataStart(before, 0);
            assertUnchanged(before, b, s0, s0 + size, "item of " + size + " bytes");
            assertZero(b, dataStart(before, 1) + 21, dataStart(before, 1) + 71, "the valid inline item");
        }
        // an EXTENT_DATA item of 10 bytes as the first item, right at the block end
        byte[] b = leaf(item(Key.EXTENT_DATA, 10, 3));
        byte[] before = survive(b);
        assertUnchanged(before, b, OFF + NODESIZE - 10, OFF + NODESIZE, "10-byte EXTENT_DATA item");
    }

    @Test
    void dataOffsetOverlappingTheItemHeaders() {
        for (long offset : new long[] {0, 1, 2 * TreeBlock.ITEM_SIZE - 1}) {
            for (int type : new int[] {Key.EXTENT_DATA, Key.OBSOLETE_CSUM_ITEM}) {
                byte[] b = leaf(extent((byte) 0, 100, 1), item(type, 30, 2));
                setItem(b, 1, offset, 30);
                b[OFF + H + (int) offset + 20] = 0; // would look inline
                byte[] before = survive(b);
                assertUnchanged(before, b, OFF + H, OFF + H + 2 * TreeBlock.ITEM_SIZE, "item headers not zeroed");
            }
        }
    }

    @Test
    void hugeItemCounts() {
        for (long n : new long[] {TreeBlock.maxItems(NODESIZE, 0) + 1, 1000, 0x7FFF_FFFFL, 0xFFFF_FFFFL}) {
            byte[] b = leaf(extent((byte) 0, 100, 1));
            LittleEndian.put32(b, OFF + 96, n);
            survive(b);
            byte[] node = array(n, 1, 3);
            survive(node);
            byte[] high = array(n, 255, 4);
            survive(high);
        }
    }

    @Test
    void randomGarbageNeverEscapesTheBlock() {
        Random r = new Random(2024);
        int[] types = {Key.EXTENT_DATA, Key.OBSOLETE_CSUM_ITEM, EXTENT_CSUM, Key.DIR_ITEM, INODE_ITEM};
        for (int round = 0; round < 1000; round++) {
            byte[] b = array(0, 0, round);
            byte[] garbage = new byte[NODESIZE - H];
            r.nextBytes(garbage);
            System.arraycopy(garbage, 0, b, OFF + H, garbage.length);
            int mode = round % 4;
            long n = mode == 0 ? r.nextInt(200) : mode == 1 ? r.nextInt() & 0xFFFFFFFFL : 1 + r.nextInt(10);
            LittleEndian.put32(b, OFF + 96, n);
            b[OFF + 100] = (byte) (round % 7 == 0 ? 1 + r.nextInt(8) : 0);
            if (mode >= 2) {
                // plausible headers with random offsets and sizes, some near the block end
                for (int i = 0; i < n; i++) {
                    setType(b, i, types[r.nextInt(types.length)]);
                    long offset = mode == 2 ? r.nextInt(NODESIZE + 200) : NODESIZE - H - r.nextInt(64);
                    setItem(b, i, offset, r.nextInt(mode == 2 ? 5000 : 80));
                }
            }
            survive(b);
        }
    }
}
