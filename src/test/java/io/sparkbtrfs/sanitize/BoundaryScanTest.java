package io.sparkbtrfs.sanitize;

import static io.sparkbtrfs.sanitize.Leaves.DIR_INDEX;
import static io.sparkbtrfs.sanitize.Leaves.DIR_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.FS_TREE;
import static io.sparkbtrfs.sanitize.Leaves.INODE_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.NODESIZE;
import static io.sparkbtrfs.sanitize.Leaves.OFF;
import static io.sparkbtrfs.sanitize.Leaves.ROOT_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.ROOT_TREE;
import static io.sparkbtrfs.sanitize.Leaves.bytes;
import static io.sparkbtrfs.sanitize.Leaves.dirEntry;
import static io.sparkbtrfs.sanitize.Leaves.it;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.format.Crc32c;
import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.TreeBlock;

/**
 * {@link BoundaryScan} on a filesystem built in memory: a root tree leaf whose ROOT_ITEM points at an fs tree of one
 * node and three leaves. The node's keys are the boundaries; the leaf that starts with a short name gets a new first
 * key, the one sanitizing it gives; the leaf that starts with a long name keeps its key (its parent is not changed);
 * unreadable blocks are skipped.
 */
class BoundaryScanTest {
    private static final long SECRET = 77;
    private static final long ROOT = 1 << 20;
    private static final long NODE = 2 << 20;
    private static final long[] LEAVES = {3 << 20, 4 << 20, 5 << 20};

    private static long hash(String s) {
        byte[] b = bytes(s);
        return Crc32c.nameHash(b, 0, b.length) & 0xFFFFFFFFL;
    }

    private static byte[] block(byte[] leafAtOff, long bytenr) {
        byte[] b = Arrays.copyOfRange(leafAtOff, OFF, OFF + NODESIZE);
        LittleEndian.put64(b, 48, bytenr);
        return b;
    }

    private static byte[] node(long[] objectids, int[] types, long[] offsets, long[] children) {
        byte[] b = new byte[NODESIZE];
        LittleEndian.put64(b, 48, NODE);
        LittleEndian.put64(b, 88, FS_TREE);
        LittleEndian.put32(b, 96, children.length);
        b[100] = 1;
        for (int i = 0; i < children.length; i++) {
            int p = TreeBlock.HEADER_SIZE + TreeBlock.KEY_PTR_SIZE * i;
            LittleEndian.put64(b, p, objectids[i]);
            b[p + 8] = (byte) types[i];
            LittleEndian.put64(b, p + 9, offsets[i]);
            LittleEndian.put64(b, p + 17, children[i]);
        }
        return b;
    }

    @Test
    void boundariesAndNewFirstKeys() {
        // a long name whose hash is that of some 4-byte UTF-8 name: the driver reads its leaf, which keeps its key
        String longName = null;
        for (int i = 0; longName == null; i++) {
            String s = "long-name-" + i;
            if (ShortNames.mayBeRekeyableShortName((int) hash(s), new byte[0])) {
                longName = s;
            }
        }
        String[] firsts = {null, "xy", longName};
        long[] keys = {0, hash("xy"), hash(longName)};
        Arrays.sort(keys, 1, 3);
        Map<Long, byte[]> blocks = new HashMap<>();
        byte[] rootItem = new byte[439];
        LittleEndian.put64(rootItem, 176, NODE);
        rootItem[238] = 1;
        blocks.put(ROOT, block(Leaves.leaf(ROOT_TREE, it(5, ROOT_ITEM, 0, rootItem)), ROOT));
        blocks.put(LEAVES[0], block(Leaves.leaf(FS_TREE, it(256, INODE_ITEM, 0, new byte[160])), LEAVES[0]));
        for (int i = 1; i < 3; i++) {
            String name = keys[i] == hash("xy") ? "xy" : longName;
            blocks.put(LEAVES[i], block(Leaves.leaf(FS_TREE, it(256, DIR_ITEM, keys[i], dirEntry(300 + i, name)),
                    it(256, DIR_INDEX, 10 + i, dirEntry(300 + i, name))), LEAVES[i]));
        }
        blocks.put(NODE, node(new long[] {256, 256, 256}, new int[] {INODE_ITEM, DIR_ITEM, DIR_ITEM}, keys, LEAVES));
        int[] reads = {0};
        int[] batches = {0};
        BoundaryScan.Reader oneByOne = BoundaryScan.Reader.oneByOne(at -> {
            reads[0]++;
            byte[] b = blocks.get(at);
            if (b == null) {
                throw new IOException("no block at " + at);
            }
            return b.clone();
        });
        BoundaryScan.Reader reader = (addresses, sink) -> {
            batches[0]++;
            oneByOne.read(addresses, sink);
        };
        KeyBoundaries kb = BoundaryScan.scan(reader, NODESIZE, ROOT, 0, 0, 0, SECRET);
        assertEquals(2, kb.size(), "the node's DIR_ITEM keys");
        assertTrue(kb.contains(256, DIR_ITEM, (int) keys[1]) && kb.contains(256, DIR_ITEM, (int) keys[2]));
        assertEquals(4, reads[0], "root leaf, node, and the two leaves whose first key may belong to a short name");
        assertEquals(3, batches[0], "a batch per wave: the root tree's leaf, the node, the two leaves");

        int shortSlot = keys[1] == hash("xy") ? 1 : 2;
        byte[] expected = blocks.get(LEAVES[shortSlot]).clone();
        new NameSanitizer(true, SECRET, kb).sanitizeLeaf(expected, NODESIZE);
        assertTrue(TreeBlock.itemKeyOffset(expected, 0, 0) != hash("xy"), "the short name's DIR_ITEM moved");
        assertEquals(kb.rekeyedBlocks(), 1);
        assertEquals(TreeBlock.itemKeyOffset(expected, 0, 0), kb.newFirstOffset(LEAVES[shortSlot]));
        assertEquals(-1, kb.newFirstOffset(LEAVES[3 - shortSlot]), "the long name's leaf keeps its first key");

        // the parent node, as a task scrubs it, carries the new key
        byte[] node = Arrays.copyOf(blocks.get(NODE), NODESIZE);
        new NameSanitizer(true, SECRET, kb).forTask().node(node, 0, NODESIZE, 3);
        assertEquals(TreeBlock.itemKeyOffset(expected, 0, 0), TreeBlock.nodeKeyOffset(node, 0, shortSlot));
        assertEquals(keys[3 - shortSlot], TreeBlock.nodeKeyOffset(node, 0, 3 - shortSlot));

        // unreadable leaves: skipped, their parents keep their keys
        blocks.remove(LEAVES[1]);
        blocks.remove(LEAVES[2]);
        KeyBoundaries partial = BoundaryScan.scan(reader, NODESIZE, ROOT, 0, 0, 0, SECRET);
        assertEquals(2, partial.size());
        assertEquals(0, partial.rekeyedBlocks());
    }
}
