package io.sparkbtrfs.sanitize;

import static io.sparkbtrfs.sanitize.Leaves.DIR_INDEX;
import static io.sparkbtrfs.sanitize.Leaves.DIR_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.FS_TREE;
import static io.sparkbtrfs.sanitize.Leaves.INODE_EXTREF;
import static io.sparkbtrfs.sanitize.Leaves.INODE_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.INODE_REF;
import static io.sparkbtrfs.sanitize.Leaves.NODESIZE;
import static io.sparkbtrfs.sanitize.Leaves.OFF;
import static io.sparkbtrfs.sanitize.Leaves.XATTR_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.applyAll;
import static io.sparkbtrfs.sanitize.Leaves.bytes;
import static io.sparkbtrfs.sanitize.Leaves.dirEntry;
import static io.sparkbtrfs.sanitize.Leaves.entries;
import static io.sparkbtrfs.sanitize.Leaves.extref;
import static io.sparkbtrfs.sanitize.Leaves.inodeRef;
import static io.sparkbtrfs.sanitize.Leaves.it;
import static io.sparkbtrfs.sanitize.Leaves.leaf;
import static io.sparkbtrfs.sanitize.Leaves.xattr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.format.Crc32c;
import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Issue 14 on leaves built in memory: names of 1..4 bytes get substitutes whose hash stays in the cell of its old
 * hash ({@link KeyBoundaries}), their DIR_ITEM, XATTR_ITEM and INODE_EXTREF move to the new hash, the leaf stays a
 * leaf btrfs accepts (keys strictly increasing, data packed in slot order from the block end, every entry's hash
 * its key's offset); items split and merge as btrfs would have them; a leaf without room keeps its keys (counted);
 * parents get the new first keys; the substitutes of a cell are one-to-one, in the cell, never the name itself,
 * free of control bytes.
 */
class RekeyTest {
    private static final long SECRET = 0x14;

    private static NameSanitizer sanitizer(KeyBoundaries b) {
        return (NameSanitizer) new NameSanitizer(true, SECRET, b).forTask();
    }

    private static long hash(String name) {
        byte[] b = bytes(name);
        return Crc32c.nameHash(b, 0, b.length) & 0xFFFFFFFFL;
    }

    private static long hash(byte[] b) {
        return Crc32c.nameHash(b, 0, b.length) & 0xFFFFFFFFL;
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** What btrfs checks of a leaf: sorted keys, packed data, every hashed entry under its hash. */
    static void assertValidLeaf(byte[] b) {
        int n = (int) TreeBlock.nritems(b, OFF);
        int expectedEnd = NODESIZE - TreeBlock.HEADER_SIZE;
        for (int slot = 0; slot < n; slot++) {
            if (slot > 0) {
                assertTrue(TreeBlock.itemKey(b, OFF, slot - 1).compareTo(TreeBlock.itemKey(b, OFF, slot)) < 0,
                        "keys out of order at slot " + slot + ": " + TreeBlock.itemKey(b, OFF, slot - 1) + " "
                                + TreeBlock.itemKey(b, OFF, slot));
            }
            long offset = TreeBlock.itemOffset(b, OFF, slot);
            assertEquals(expectedEnd, offset + TreeBlock.itemSize(b, OFF, slot), "data of slot " + slot + " not packed");
            expectedEnd = (int) offset;
            int type = TreeBlock.itemType(b, OFF, slot);
            long key = TreeBlock.itemKeyOffset(b, OFF, slot);
            for (Leaves.Entry e : entries(b, slot)) {
                byte[] name = e.name(b);
                if (type == DIR_ITEM || type == XATTR_ITEM) {
                    assertEquals(key, hash(name), "slot " + slot + " holds " + str(name));
                } else if (type == INODE_EXTREF) {
                    long parent = LittleEndian.u64(b, e.name() - 18);
                    assertEquals(key, Crc32c.update((int) parent, name, 0, name.length) & 0xFFFFFFFFL, "extref");
                }
            }
        }
        for (int i = OFF + TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * n; i < OFF + TreeBlock.HEADER_SIZE + expectedEnd;
                i++) {
            assertEquals(0, b[i], "free space byte " + (i - OFF));
        }
    }

    /** Names by directory index (DIR_INDEX), by location (DIR_ITEM) and by child (INODE_REF) agree. */
    private static void assertEntriesAgree(byte[] b) {
        Map<Long, byte[]> byIndex = new HashMap<>();
        Map<Long, byte[]> byLocation = new HashMap<>();
        Map<Long, byte[]> byChild = new HashMap<>();
        int n = (int) TreeBlock.nritems(b, OFF);
        for (int slot = 0; slot < n; slot++) {
            int type = TreeBlock.itemType(b, OFF, slot);
            for (Leaves.Entry e : entries(b, slot)) {
                if (type == DIR_ITEM) {
                    byLocation.put(LittleEndian.u64(b, e.name() - 30), e.name(b));
                } else if (type == DIR_INDEX) {
                    byIndex.put(LittleEndian.u64(b, e.name() - 30), e.name(b));
                } else if (type == INODE_REF) {
                    byChild.put(TreeBlock.itemObjectid(b, OFF, slot), e.name(b));
                }
            }
        }
        assertEquals(byIndex.keySet(), byLocation.keySet());
        for (Long child : byIndex.keySet()) {
            assertArrayEquals(byIndex.get(child), byLocation.get(child), "DIR_ITEM and DIR_INDEX of " + child);
            if (byChild.containsKey(child)) {
                assertArrayEquals(byIndex.get(child), byChild.get(child), "INODE_REF of " + child);
            }
        }
    }

    /** Sanitizes the leaf (no boundaries), checks that it is valid and that its entries agree; the task's counts. */
    private static SanitizeStats sanitizeValid(byte[] b) {
        NameSanitizer s = sanitizer(KeyBoundaries.NONE);
        applyAll(s, b);
        assertValidLeaf(b);
        assertEntriesAgree(b);
        return s.stats();
    }

    /** A directory leaf: DIR_ITEMs at the names' hashes, DIR_INDEXes, INODE_REFs of the children 257... */
    private static byte[] directory(String... names) {
        List<Leaves.It> items = new ArrayList<>();
        items.add(it(256, INODE_ITEM, 0, new byte[160]));
        TreeSet<Long> hashes = new TreeSet<>();
        Map<Long, List<Integer>> byHash = new HashMap<>();
        for (int i = 0; i < names.length; i++) {
            long h = hash(names[i]);
            hashes.add(h);
            byHash.computeIfAbsent(h, k -> new ArrayList<>()).add(i);
        }
        for (long h : hashes) {
            List<byte[]> parts = new ArrayList<>();
            for (int i : byHash.get(h)) {
                parts.add(dirEntry(257 + i, names[i]));
            }
            items.add(it(256, DIR_ITEM, h, parts.toArray(byte[][]::new)));
        }
        for (int i = 0; i < names.length; i++) {
            items.add(it(256, DIR_INDEX, 2 + i, dirEntry(257 + i, names[i])));
        }
        for (int i = 0; i < names.length; i++) {
            items.add(it(257 + i, INODE_REF, 256, inodeRef(2 + i, names[i])));
        }
        return leaf(FS_TREE, items.toArray(Leaves.It[]::new));
    }

    @Test
    void shortNamesMoveToTheirSubstitutesHashAndTheLeafStaysValid() {
        String[] names = {"a", "bc", "def", "ghij", "a-longer-name.txt", "Z", "~~", " x "};
        byte[] b = directory(names);
        SanitizeStats stats = sanitizeValid(b);
        assertEquals(7, stats.rekeyed, "DIR_ITEMs of the 7 short names moved");
        assertEquals(0, stats.shortFallbacks);
        for (int slot = 0; slot < TreeBlock.nritems(b, OFF); slot++) {
            if (TreeBlock.itemType(b, OFF, slot) == DIR_INDEX) {
                int i = (int) TreeBlock.itemKeyOffset(b, OFF, slot) - 2;
                byte[] sub = entries(b, slot).get(0).name(b);
                assertEquals(names[i].length(), sub.length);
                assertNotEquals(names[i], str(sub));
                if (names[i].length() > 4) {
                    assertEquals(hash(names[i]), hash(sub), "a long name keeps its hash");
                }
            }
        }
    }

    /** The same leaf in another task, or on the driver: the same bytes (a pure function of leaf and secret). */
    @Test
    void rebuildIsDeterministic() {
        byte[] a = directory("a", "bc", "def", "ghij", "a-longer-name.txt");
        byte[] c = a.clone();
        applyAll(sanitizer(KeyBoundaries.NONE), a);
        applyAll(sanitizer(KeyBoundaries.NONE), c);
        assertArrayEquals(a, c);
        byte[] d = Arrays.copyOfRange(directory("a", "bc", "def", "ghij", "a-longer-name.txt"), OFF, OFF + NODESIZE);
        sanitizer(KeyBoundaries.NONE).sanitizeLeaf(d, NODESIZE);
        assertArrayEquals(Arrays.copyOfRange(a, OFF, OFF + NODESIZE), d, "sanitizeLeaf (the driver's) and a task agree");
    }

    @Test
    void newHashesStayInTheirCells() {
        String[] names = new String[20];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < names.length; i++) {
            names[i] = ShortNameFixtures.random(r, 1 + i % 4);
        }
        names = Arrays.stream(names).distinct().toArray(String[]::new);
        KeyBoundaries.Builder kb = new KeyBoundaries.Builder();
        for (int k = 1; k < 16; k++) {
            kb.add(256, DIR_ITEM, (long) k << 28);
        }
        KeyBoundaries cells = kb.build();
        byte[] b = directory(names);
        NameSanitizer s = sanitizer(cells);
        applyAll(s, b);
        assertValidLeaf(b);
        assertEntriesAgree(b);
        for (int slot = 0; slot < TreeBlock.nritems(b, OFF); slot++) {
            if (TreeBlock.itemType(b, OFF, slot) == DIR_INDEX) {
                int i = (int) TreeBlock.itemKeyOffset(b, OFF, slot) - 2;
                long before = hash(names[i]);
                long after = hash(entries(b, slot).get(0).name(b));
                assertEquals(before >>> 28, after >>> 28, names[i] + ": cell of " + before + " left for " + after);
            }
        }
        assertEquals(names.length, s.stats().rekeyed);
    }

    /** A name that long and one short name with one hash share a DIR_ITEM; the short one moves out alone. */
    @Test
    void aSharedDirItemSplits() {
        byte[] shortName = bytes("ab");
        byte[] longName = withHash(hash(shortName), "shared-hash-");
        byte[] b = leaf(FS_TREE, it(256, INODE_ITEM, 0, new byte[160]),
                it(256, DIR_ITEM, hash(shortName), dirEntry(257, "ab"), entry(258, longName)),
                it(256, DIR_INDEX, 2, dirEntry(257, "ab")), it(256, DIR_INDEX, 3, entry(258, longName)));
        assertEquals(1, sanitizeValid(b).rekeyed);
        assertEquals(5, TreeBlock.nritems(b, OFF), "the DIR_ITEM split in two");
    }

    /** A short name whose substitute hashes onto another name's DIR_ITEM joins it, as btrfs stores equal hashes. */
    @Test
    void aMovedEntryJoinsTheItemOfItsNewHash() {
        byte[] sub = sanitizer(KeyBoundaries.NONE).compute(bytes("q"), 0);
        byte[] other = withHash(hash(sub), "other-name-");
        byte[] b = leaf(FS_TREE, it(256, INODE_ITEM, 0, new byte[160]),
                it(256, DIR_ITEM, hash("q"), dirEntry(257, "q")),
                it(256, DIR_ITEM, hash(other), entry(258, other)),
                it(256, DIR_INDEX, 2, dirEntry(257, "q")), it(256, DIR_INDEX, 3, entry(258, other)));
        if (hash("q") > hash(other)) { // keep the input sorted
            b = leaf(FS_TREE, it(256, INODE_ITEM, 0, new byte[160]),
                    it(256, DIR_ITEM, hash(other), entry(258, other)),
                    it(256, DIR_ITEM, hash("q"), dirEntry(257, "q")),
                    it(256, DIR_INDEX, 2, dirEntry(257, "q")), it(256, DIR_INDEX, 3, entry(258, other)));
        }
        assertEquals(1, sanitizeValid(b).rekeyed);
        assertEquals(4, TreeBlock.nritems(b, OFF), "two DIR_ITEMs became one");
        assertEquals(2, entries(b, 1).size(), "entries of the merged DIR_ITEM");
    }

    /** With no room for the item a split adds, the leaf keeps its keys: counted, never a broken leaf. */
    @Test
    void aFullLeafKeepsItsKeys() {
        byte[] shortName = bytes("ab");
        byte[] longName = withHash(hash(shortName), "shared-hash-");
        List<Leaves.It> items = new ArrayList<>();
        items.add(it(256, DIR_ITEM, hash(shortName), dirEntry(257, "ab"), entry(258, longName)));
        int used = TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE + items.get(0).data().length;
        long k = 0;
        while (NODESIZE - used >= 2 * TreeBlock.ITEM_SIZE + 160 + 10) {
            items.add(it(300 + k++, INODE_ITEM, 0, new byte[160]));
            used += TreeBlock.ITEM_SIZE + 160;
        }
        int rest = NODESIZE - used - TreeBlock.ITEM_SIZE - 10; // leaves 10 bytes: less than an item header
        items.add(it(300 + k, INODE_ITEM, 0, new byte[rest]));
        byte[] b = leaf(FS_TREE, items.toArray(Leaves.It[]::new));
        NameSanitizer s = sanitizer(KeyBoundaries.NONE);
        applyAll(s, b);
        assertEquals(1, s.stats().shortFallbacks);
        assertEquals(0, s.stats().rekeyed);
        assertEquals(hash(shortName), TreeBlock.itemKeyOffset(b, OFF, 0), "the item kept its key");
        assertNotEquals("ab", str(entries(b, 0).get(0).name(b)), "the name is replaced all the same");
    }

    @Test
    void extrefsMoveWithTheirNames() {
        byte[] n = bytes("xy");
        long h = Crc32c.update(256, n, 0, n.length) & 0xFFFFFFFFL;
        byte[] b = leaf(FS_TREE, it(256, DIR_INDEX, 7, dirEntry(300, "xy")),
                it(300, INODE_EXTREF, h, extref(256, 7, "xy")));
        NameSanitizer s = sanitizer(KeyBoundaries.NONE);
        applyAll(s, b);
        assertValidLeaf(b);
        byte[] sub = entries(b, 0).get(0).name(b);
        assertArrayEquals(sub, entries(b, 1).get(0).name(b), "EXTREF and DIR_INDEX agree");
        assertEquals(Crc32c.update(256, sub, 0, sub.length) & 0xFFFFFFFFL, TreeBlock.itemKeyOffset(b, OFF, 1));
        assertEquals(1, s.stats().rekeyed);
    }

    @Test
    void shortXattrNamesMove() {
        String[] names = {"user.a", "user.bc", "user.a-long-attribute", "security.x"};
        TreeSet<Long> order = new TreeSet<>();
        Map<Long, String> byHash = new HashMap<>();
        for (String x : names) {
            order.add(hash(x));
            byHash.put(hash(x), x);
        }
        List<Leaves.It> items = new ArrayList<>();
        for (long h : order) {
            items.add(it(300, XATTR_ITEM, h, xattr(byHash.get(h), bytes("value"))));
        }
        byte[] b = leaf(FS_TREE, items.toArray(Leaves.It[]::new));
        NameSanitizer s = sanitizer(KeyBoundaries.NONE);
        applyAll(s, b);
        assertValidLeaf(b);
        assertEquals(2, s.stats().rekeyed);
        List<String> after = new ArrayList<>();
        for (int slot = 0; slot < 4; slot++) {
            after.add(str(entries(b, slot).get(0).name(b)));
        }
        assertTrue(after.contains("security.x"));
        assertFalse(after.contains("user.a") || after.contains("user.bc"), after.toString());
    }

    /** A short name that bounds a leaf is re-keyed only if valid UTF-8 (the driver cannot find the others). */
    @Test
    void aBoundaryNameTheDriverCannotTellKeepsItsKey() {
        byte[] odd = {(byte) 0xFF, (byte) 0xFE};
        KeyBoundaries cells = new KeyBoundaries.Builder().add(256, DIR_ITEM, hash(odd)).add(256, DIR_ITEM, hash("ab"))
                .build();
        assertFalse(ShortNames.rekeyableAtBoundary(odd, 0, 2));
        byte[] b = leaf(FS_TREE, it(256, DIR_ITEM, hash(odd), Leaves.concat(Arrays.copyOf(dirEntry(257, "ab"), 30),
                odd)));
        // dirEntry("ab") has the same layout: name length 2; its name bytes replaced by the odd ones
        NameSanitizer s = sanitizer(cells);
        applyAll(s, b);
        assertEquals(1, s.stats().shortFallbacks);
        assertEquals(hash(odd), TreeBlock.itemKeyOffset(b, OFF, 0));
        byte[] c = leaf(FS_TREE, it(256, DIR_ITEM, hash("ab"), dirEntry(257, "ab")));
        NameSanitizer t = sanitizer(cells);
        applyAll(t, c);
        assertEquals(1, t.stats().rekeyed, "valid UTF-8 at a boundary moves");
    }

    @Test
    void parentsGetTheNewFirstKeys() {
        byte[] node = new byte[OFF + NODESIZE];
        LittleEndian.put32(node, OFF + 96, 3);
        node[OFF + 100] = 1;
        for (int slot = 0; slot < 3; slot++) {
            int p = OFF + TreeBlock.HEADER_SIZE + TreeBlock.KEY_PTR_SIZE * slot;
            LittleEndian.put64(node, p, 256);
            node[p + 8] = (byte) DIR_ITEM;
            LittleEndian.put64(node, p + 9, 1000 * (slot + 1));
            LittleEndian.put64(node, p + 17, 1 << 20 + slot);
        }
        KeyBoundaries kb = new KeyBoundaries.Builder().newFirstOffset(1 << 21, 2345).build();
        sanitizer(kb).node(node, OFF, NODESIZE, 3);
        assertEquals(1000, TreeBlock.nodeKeyOffset(node, OFF, 0));
        assertEquals(2345, TreeBlock.nodeKeyOffset(node, OFF, 1));
        assertEquals(3000, TreeBlock.nodeKeyOffset(node, OFF, 2));
        assertEquals(256, TreeBlock.nodeKeyObjectid(node, OFF, 1));
        assertEquals(DIR_ITEM, TreeBlock.nodeKeyType(node, OFF, 1));
    }

    @Test
    void cellsOfTheBoundaryTable() {
        KeyBoundaries kb = new KeyBoundaries.Builder().add(256, DIR_ITEM, 100).add(256, DIR_ITEM, 0xF000_0000L)
                .add(256, XATTR_ITEM, 50).add(257, DIR_ITEM, 10).add(-256L, DIR_ITEM, 7).add(256, DIR_ITEM, 100).build();
        assertEquals(5, kb.size(), "duplicates dropped");
        assertEquals(0, kb.cellLow(256, DIR_ITEM, 99));
        assertEquals(100, kb.cellHigh(256, DIR_ITEM, 99));
        assertEquals(100, kb.cellLow(256, DIR_ITEM, 100));
        assertEquals(0xF000_0000L, kb.cellHigh(256, DIR_ITEM, 100));
        assertEquals(0xF000_0000L, kb.cellLow(256, DIR_ITEM, 0xFFFF_FFFF));
        assertEquals(1L << 32, kb.cellHigh(256, DIR_ITEM, 0xFFFF_FFFF));
        assertEquals(50, kb.cellLow(256, XATTR_ITEM, 60));
        assertEquals(1L << 32, kb.cellHigh(256, XATTR_ITEM, 60));
        assertEquals(0, kb.cellLow(258, DIR_ITEM, 60));
        assertEquals(7, kb.cellLow(-256L, DIR_ITEM, 8), "objectids compare unsigned");
        assertTrue(kb.contains(256, DIR_ITEM, 100));
        assertFalse(kb.contains(256, DIR_ITEM, 101));
        assertFalse(kb.contains(256, XATTR_ITEM, 100));
    }

    /**
     * Every printable 1- and 2-byte name, in the cells 34 boundaries make (a directory of that many leaves): each gets
     * a substitute of its length in its cell, never itself, printable unless no other printable name of its length
     * hashes into the cell (then bytes ≥ 0x80, never a control byte), all distinct; none only where no other name of
     * its length without control bytes hashes into the cell.
     */
    @Test
    void substitutesOfACellAreOneToOne() {
        long[] cuts = new long[34];
        SplittableRandom r = new SplittableRandom(34);
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = ((long) i << 32) / cuts.length + r.nextLong(1L << 25); // leaves split a directory's hashes evenly
        }
        ShortNames sn = new ShortNames(SECRET);
        Map<String, String> seen = new HashMap<>();
        int high = 0;
        int none = 0;
        String p = ShortNameFixtures.PRINTABLE;
        for (int len = 1; len <= 2; len++) {
            for (int i = 0; i < Math.pow(p.length(), len); i++) {
                String name = len == 1 ? p.substring(i, i + 1) : "" + p.charAt(i / p.length()) + p.charAt(i % p.length());
                if (name.equals(".") || name.equals("..")) {
                    continue;
                }
                byte[] n = bytes(name);
                long h = hash(n);
                int at = Arrays.binarySearch(cuts, h);
                int k = at >= 0 ? at + 1 : -at - 1;
                long lo = k == 0 ? 0 : cuts[k - 1];
                long hi = k == cuts.length ? 1L << 32 : cuts[k];
                byte[] out = new byte[n.length];
                int kind = sn.solve(n, n.length, 0, lo, hi, out);
                if (kind == ShortNames.NONE) {
                    none++;
                    assertEquals(1, len, name + " has no substitute in [" + lo + ", " + hi + ")");
                    for (int c = 1; c < 256; c++) {
                        long hc = hash(new byte[] {(byte) c});
                        assertFalse(c != n[0] && c >= 0x20 && c != 0x7F && c != '/' && c != '.' && hc >= lo && hc < hi,
                                name + " has no substitute, but " + c + " would do");
                    }
                    continue;
                }
                String sub = str(out);
                assertNotEquals(name, sub);
                assertTrue(hash(out) >= lo && hash(out) < hi, name + " -> " + sub + " left its cell");
                for (byte c : out) {
                    assertTrue((c & 0xFF) >= 0x20 && c != 0x7F && c != '/', name + " -> control byte in " + sub);
                }
                if (kind == ShortNames.HIGH) {
                    high++;
                } else {
                    assertEquals(ShortNames.PRINTABLE, ShortNames.classOf(out, 0, out.length), name + " -> " + sub);
                }
                String prev = seen.put(sub, name);
                assertTrue(prev == null, prev + " and " + name + " -> " + sub);
            }
        }
        System.out.printf("%d printable names of 1..2 bytes in 35 cells: %d given bytes >= 0x80, %d none%n",
                seen.size(), high, none);
        assertTrue(high < 20, high + " names given high bytes");
        assertTrue(none <= 2, none + " names without a substitute");
    }

    @Test
    void theDriverFindsTheKeysOfShortNames() {
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < 2000; i++) {
            String name = ShortNameFixtures.random(r, 1 + r.nextInt(4));
            assertTrue(ShortNames.mayBeRekeyableShortName((int) hash(name), new byte[0]), name);
            assertTrue(ShortNames.mayBeRekeyableShortName((int) hash("user." + name), bytes("user.")), name);
        }
        for (String utf8 : List.of("é", "日", "€", "🙂", "éa", "aé")) {
            assertTrue(ShortNames.mayBeRekeyableShortName((int) hash(utf8), new byte[0]), utf8);
        }
        int maybe = 0;
        for (int i = 0; i < 20000; i++) {
            maybe += ShortNames.mayBeRekeyableShortName((int) hash(ShortNameFixtures.random(r, 20)), new byte[0]) ? 1 : 0;
        }
        System.out.printf("hashes of long names that may be short ones: %d of 20000%n", maybe);
        assertTrue(maybe < 20000 / 8, maybe + " of 20000: the driver would read too many leaves");
        assertFalse(ShortNames.rekeyableAtBoundary(new byte[] {(byte) 0xC3}, 0, 1), "truncated sequence");
        assertFalse(ShortNames.rekeyableAtBoundary(new byte[] {'a', '\n'}, 0, 2), "control byte");
        assertFalse(ShortNames.rekeyableAtBoundary(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, 0, 3),
                "surrogate");
        assertTrue(ShortNames.rekeyableAtBoundary(bytes("日"), 0, 3));
    }

    /** A dir entry for a name of any bytes. */
    private static byte[] entry(long location, byte[] name) {
        return Leaves.dirEntryRaw(location, INODE_ITEM, name.length, 0, name, new byte[0]);
    }

    /** A name of 6 bytes or more whose hash is {@code target}: {@code prefix}, two free bytes, then four solved. */
    private static byte[] withHash(long target, String prefix) {
        for (int t = 0; ; t++) {
            byte[] n = Arrays.copyOf(bytes(prefix + (char) ('a' + t % 26) + (char) ('a' + t / 26 % 26)),
                    prefix.length() + 6);
            int zeros = Crc32c.nameHash(n, 0, n.length);
            long x = CollisionSolver.preimage((int) target ^ zeros, 4);
            for (int i = 0; i < 4; i++) {
                n[n.length - 4 + i] = (byte) (x >>> (8 * i));
            }
            boolean legal = true;
            for (byte c : n) {
                legal &= c != 0 && c != '/';
            }
            if (legal && hash(n) == target) {
                return n;
            }
        }
    }
}
