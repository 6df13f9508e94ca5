package io.sparkbtrfs.sanitize;

import static io.sparkbtrfs.sanitize.Leaves.DIR_INDEX;
import static io.sparkbtrfs.sanitize.Leaves.DIR_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.EXTENT_CSUM;
import static io.sparkbtrfs.sanitize.Leaves.FS_TREE;
import static io.sparkbtrfs.sanitize.Leaves.INODE_EXTREF;
import static io.sparkbtrfs.sanitize.Leaves.INODE_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.INODE_REF;
import static io.sparkbtrfs.sanitize.Leaves.NODESIZE;
import static io.sparkbtrfs.sanitize.Leaves.OFF;
import static io.sparkbtrfs.sanitize.Leaves.ROOT_BACKREF;
import static io.sparkbtrfs.sanitize.Leaves.ROOT_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.ROOT_REF;
import static io.sparkbtrfs.sanitize.Leaves.ROOT_TREE;
import static io.sparkbtrfs.sanitize.Leaves.XATTR_ITEM;
import static io.sparkbtrfs.sanitize.Leaves.applyAll;
import static io.sparkbtrfs.sanitize.Leaves.bytes;
import static io.sparkbtrfs.sanitize.Leaves.dirEntry;
import static io.sparkbtrfs.sanitize.Leaves.dirEntryRaw;
import static io.sparkbtrfs.sanitize.Leaves.entries;
import static io.sparkbtrfs.sanitize.Leaves.extref;
import static io.sparkbtrfs.sanitize.Leaves.inodeRef;
import static io.sparkbtrfs.sanitize.Leaves.it;
import static io.sparkbtrfs.sanitize.Leaves.leaf;
import static io.sparkbtrfs.sanitize.Leaves.rootRef;
import static io.sparkbtrfs.sanitize.Leaves.size;
import static io.sparkbtrfs.sanitize.Leaves.start;
import static io.sparkbtrfs.sanitize.Leaves.u16;
import static io.sparkbtrfs.sanitize.Leaves.u64;
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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.dump.BlockScrubber;
import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.Crc32c;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.testing.Fast;

/**
 * {@link NameSanitizer} on leaves built in memory: every entry of multi-entry items, every name-bearing item type,
 * one substitute per name everywhere (items, trees, task instances), the names that must stay, xattr values and
 * data checksums zeroed, and hostile items (lengths past the item end) handled without exceptions and without a
 * write outside the item. Parameter {@code collisions}: false = {@code -s}, true = {@code -ss}.
 */
@Fast
class NameSanitizerTest {
    private static final long SECRET = 0x5EC2E7L;

    private static NameSanitizer sanitizer(boolean collisions) {
        return (NameSanitizer) new NameSanitizer(collisions, SECRET).forTask();
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** What -s and -ss promise for a substitute of {@code orig} (a name of the fs trees: nothing kept). */
    private static void assertSubstitute(boolean collisions, byte[] orig, byte[] sub, String what) {
        assertEquals(orig.length, sub.length, what + ": length");
        assertFalse(Arrays.equals(orig, sub), what + ": unchanged: " + str(orig));
        for (byte c : sub) {
            assertTrue(c != 0 && c != '/', what + ": NUL or '/' in " + str(sub));
        }
        if (collisions && orig.length > 4) {
            assertEquals(Crc32c.nameHash(orig, 0, orig.length), Crc32c.nameHash(sub, 0, sub.length),
                    what + ": name hash of " + str(sub) + " for " + str(orig));
        }
        if (!collisions || orig.length >= 6) {
            for (byte c : sub) {
                assertTrue(c >= 0x20 && c <= 0x7E, what + ": not printable: " + str(sub));
            }
        }
    }

    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void multiEntryDirItemAndConsistencyAcrossItemTypes(boolean collisions) {
        String first = "first-colliding-name.txt";
        byte[] fb = bytes(first);
        // a second name with the same length and hash: what makes btrfs put two entries into one DIR_ITEM
        byte[] sb = CollisionSolver.solve(fb, 0, new SplittableRandom(1)).name();
        String second = str(sb);
        int hash = Crc32c.nameHash(fb, 0, fb.length);
        assertEquals(hash, Crc32c.nameHash(sb, 0, sb.length));
        byte[] b = leaf(FS_TREE,
                it(256, INODE_ITEM, 0, new byte[160]),
                it(256, DIR_ITEM, hash & 0xFFFFFFFFL, dirEntry(257, first), dirEntry(258, second)),
                it(256, DIR_INDEX, 2, dirEntry(257, first)),
                it(256, DIR_INDEX, 3, dirEntry(258, second)),
                it(257, INODE_REF, 256, inodeRef(2, first)),
                it(258, INODE_REF, 256, inodeRef(3, second)));
        byte[] before = b.clone();
        NameSanitizer s = sanitizer(collisions);
        applyAll(s, b);

        var dir = entries(b, 1);
        assertEquals(2, dir.size(), "entries of the DIR_ITEM");
        byte[] subFirst = dir.get(0).name(b);
        byte[] subSecond = dir.get(1).name(b);
        assertSubstitute(collisions, fb, subFirst, "first entry");
        assertSubstitute(collisions, sb, subSecond, "second entry");
        assertFalse(Arrays.equals(subFirst, subSecond), "two names got one substitute");
        assertArrayEquals(subFirst, entries(b, 2).get(0).name(b), "DIR_INDEX of the first name");
        assertArrayEquals(subSecond, entries(b, 3).get(0).name(b), "DIR_INDEX of the second name");
        assertArrayEquals(subFirst, entries(b, 4).get(0).name(b), "INODE_REF of the first name");
        assertArrayEquals(subSecond, entries(b, 5).get(0).name(b), "INODE_REF of the second name");
        // only the names changed
        assertOnlyNamesChanged(before, b);
        assertEquals(6, s.stats().names);
    }

    /**
     * Every byte outside the names of name-bearing items (and outside zeroed xattr values, and the key offsets of
     * {@code rekeyed} slots) is as before.
     */
    private static void assertOnlyNamesChanged(byte[] before, byte[] after, int... rekeyed) {
        boolean[] mayChange = new boolean[before.length];
        for (int slot : rekeyed) {
            int key = OFF + TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * slot + 9;
            Arrays.fill(mayChange, key, key + 8, true);
        }
        if (rekeyed.length > 0) { // the leaf was rebuilt: its free space is zero now
            int n = (int) TreeBlock.nritems(before, OFF);
            Arrays.fill(mayChange, OFF + TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * n, start(before, n - 1), true);
        }
        int n = (int) TreeBlock.nritems(before, OFF);
        for (int slot = 0; slot < n; slot++) {
            for (var e : entries(before, slot)) {
                Arrays.fill(mayChange, e.name(), e.name() + e.nameLen(), true);
                if (TreeBlock.itemType(before, OFF, slot) == XATTR_ITEM) {
                    Arrays.fill(mayChange, e.data(), e.data() + e.dataLen(), true);
                }
            }
        }
        for (int i = 0; i < before.length; i++) {
            if (!mayChange[i] && before[i] != after[i]) {
                fail("byte " + (i - OFF) + " of the block changed (not a name)");
            }
        }
    }

    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void inodeRefWithThreeEntries(boolean collisions) {
        String[] names = {"hardlink-one", "second-hardlink-name", "x3-third-link"};
        byte[] b = leaf(FS_TREE,
                it(300, INODE_REF, 256, inodeRef(11, names[0]), inodeRef(12, names[1]), inodeRef(13, names[2])),
                it(256, DIR_INDEX, 11, dirEntry(300, names[0])),
                it(256, DIR_INDEX, 12, dirEntry(300, names[1])),
                it(256, DIR_INDEX, 13, dirEntry(300, names[2])));
        byte[] before = b.clone();
        applyAll(sanitizer(collisions), b);
        var refs = entries(b, 0);
        assertEquals(3, refs.size());
        for (int i = 0; i < 3; i++) {
            byte[] sub = refs.get(i).name(b);
            assertSubstitute(collisions, bytes(names[i]), sub, "entry " + i);
            assertArrayEquals(sub, entries(b, 1 + i).get(0).name(b), "DIR_INDEX of entry " + i);
        }
        assertOnlyNamesChanged(before, b);
    }

    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void inodeExtrefEntriesKeepTheirHashUnderCollisions(boolean collisions) {
        String[] names = new String[3];
        long[] parents = {256, 256, 4711};
        for (int i = 0; i < 3; i++) {
            names[i] = "extref-" + i + "-" + "n".repeat(150 + i);
        }
        byte[] b = leaf(FS_TREE,
                it(300, INODE_EXTREF, 0x1234, extref(parents[0], 5, names[0]), extref(parents[1], 6, names[1])),
                it(300, INODE_EXTREF, 0x5678, extref(parents[2], 7, names[2])),
                it(256, DIR_INDEX, 5, dirEntry(300, names[0])));
        byte[] before = b.clone();
        applyAll(sanitizer(collisions), b);
        List<Leaves.Entry> all = new ArrayList<>(entries(b, 0));
        all.addAll(entries(b, 1));
        assertEquals(3, all.size());
        for (int i = 0; i < 3; i++) {
            byte[] orig = bytes(names[i]);
            byte[] sub = all.get(i).name(b);
            assertSubstitute(collisions, orig, sub, "extref entry " + i);
            if (collisions) {
                int seed = (int) parents[i];
                assertEquals(Crc32c.update(seed, orig, 0, orig.length), Crc32c.update(seed, sub, 0, sub.length),
                        "extref hash (seeded with the parent) of entry " + i);
            }
        }
        assertArrayEquals(all.get(0).name(b), entries(b, 2).get(0).name(b), "DIR_INDEX and EXTREF agree");
        assertOnlyNamesChanged(before, b);
    }

    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void xattrsUserNamesReplacedOtherNamespacesKeptAllValuesZeroed(boolean collisions) {
        byte[] v1 = bytes("secret value one");
        byte[] v2 = bytes("system_u:object_r:secret_t:s0");
        byte[] v3 = new byte[44];
        Arrays.fill(v3, (byte) 0x77);
        byte[] b = leaf(FS_TREE,
                it(300, XATTR_ITEM, 1, xattr("user.secret-attribute", v1), xattr("security.selinux", v2)),
                it(300, XATTR_ITEM, 2, xattr("system.posix_acl_access", v3)),
                it(300, XATTR_ITEM, 3, xattr("trusted.overlay.opaque", bytes("y"))),
                it(300, XATTR_ITEM, 4, xattr("user.ab", bytes("short"))));
        byte[] before = b.clone();
        NameSanitizer s = sanitizer(collisions);
        applyAll(s, b);

        var e0 = entries(b, 0);
        byte[] user = e0.get(0).name(b);
        assertEquals("user.", str(Arrays.copyOf(user, 5)), "namespace prefix kept");
        assertNotEquals("user.secret-attribute", str(user));
        assertSubstitute(collisions, bytes("secret-attribute"), Arrays.copyOfRange(user, 5, user.length), "user xattr");
        if (collisions) {
            byte[] o = bytes("user.secret-attribute");
            assertEquals(Crc32c.nameHash(o, 0, o.length), Crc32c.nameHash(user, 0, user.length),
                    "xattr name hash (whole name)");
        }
        assertEquals("security.selinux", str(e0.get(1).name(b)));
        assertEquals("system.posix_acl_access", str(entries(b, 1).get(0).name(b)));
        assertEquals("trusted.overlay.opaque", str(entries(b, 2).get(0).name(b)));
        byte[] shortName = entries(b, 3).get(0).name(b);
        assertEquals("user.", str(Arrays.copyOf(shortName, 5)));
        assertNotEquals("user.ab", str(shortName));
        if (collisions) {
            // a name that short has no other of its hash: its item moves to the new name's hash (issue 14)
            assertEquals(Crc32c.nameHash(shortName, 0, shortName.length) & 0xFFFFFFFFL,
                    TreeBlock.itemKeyOffset(b, OFF, 3), "re-keyed XATTR_ITEM");
        }
        for (int slot = 0; slot < 4; slot++) {
            for (var e : entries(b, slot)) {
                assertArrayEquals(new byte[e.dataLen()], e.data(b), "xattr value of slot " + slot + " not zeroed");
            }
        }
        assertEquals(5, s.stats().values, "values zeroed");
        assertOnlyNamesChanged(before, b, collisions ? new int[] {3} : new int[0]);
    }

    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void subvolumeNamesAgreeAcrossRootRefsDirItemsTreesAndTasks(boolean collisions) {
        String name = "my-secret-subvolume";
        byte[] nb = bytes(name);
        long hash = Crc32c.nameHash(nb, 0, nb.length) & 0xFFFFFFFFL;
        byte[] rootLeaf = leaf(ROOT_TREE,
                it(5, ROOT_REF, 256, rootRef(256, 4, name)),
                it(6, DIR_ITEM, Crc32c.nameHash(bytes("default"), 0, 7) & 0xFFFFFFFFL,
                        dirEntry(5, ROOT_ITEM, "default", new byte[0])),
                it(6, INODE_REF, 6, inodeRef(0, "..")),
                it(256, ROOT_BACKREF, 5, rootRef(256, 4, name)));
        byte[] fsLeaf = leaf(FS_TREE,
                it(256, DIR_ITEM, hash, dirEntry(256, ROOT_ITEM, name, new byte[0])),
                it(256, DIR_INDEX, 4, dirEntry(256, ROOT_ITEM, name, new byte[0])),
                it(256, DIR_ITEM, Crc32c.nameHash(bytes("default"), 0, 7) & 0xFFFFFFFFL, dirEntry(270, "default")));
        // two tasks (executors) with the same secret, no shared state
        applyAll(sanitizer(collisions), rootLeaf);
        applyAll(sanitizer(collisions), fsLeaf);

        byte[] sub = entries(rootLeaf, 0).get(0).name(rootLeaf);
        assertSubstitute(collisions, nb, sub, "ROOT_REF");
        assertArrayEquals(sub, entries(rootLeaf, 3).get(0).name(rootLeaf), "ROOT_BACKREF");
        assertArrayEquals(sub, entries(fsLeaf, 0).get(0).name(fsLeaf), "DIR_ITEM in the parent tree");
        assertArrayEquals(sub, entries(fsLeaf, 1).get(0).name(fsLeaf), "DIR_INDEX in the parent tree");
        assertEquals("default", str(entries(rootLeaf, 1).get(0).name(rootLeaf)), "root tree's default entry");
        assertEquals("..", str(entries(rootLeaf, 2).get(0).name(rootLeaf)));
        assertNotEquals("default", str(entries(fsLeaf, 2).get(0).name(fsLeaf)), "a file named default is sanitized");
    }

    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void dotAndDotDotKeptOtherDotNamesReplaced(boolean collisions) {
        byte[] b = leaf(FS_TREE,
                it(256, INODE_REF, 256, inodeRef(0, "..")),
                it(257, INODE_REF, 256, inodeRef(2, "."), inodeRef(3, ".."), inodeRef(4, "..."), inodeRef(5, ".hidden")),
                it(256, DIR_INDEX, 2, dirEntry(257, ".")),
                it(256, DIR_INDEX, 3, dirEntry(257, "..")));
        applyAll(sanitizer(collisions), b);
        assertEquals("..", str(entries(b, 0).get(0).name(b)));
        var refs = entries(b, 1);
        assertEquals(".", str(refs.get(0).name(b)));
        assertEquals("..", str(refs.get(1).name(b)));
        assertNotEquals("...", str(refs.get(2).name(b)));
        assertSubstitute(collisions, bytes(".hidden"), refs.get(3).name(b), ".hidden");
        assertEquals(".", str(entries(b, 2).get(0).name(b)));
        assertEquals("..", str(entries(b, 3).get(0).name(b)));
        for (var e : refs) {
            String n = str(e.name(b));
            assertFalse(e.nameLen() > 2 && (n.equals(".") || n.equals("..")), "substitute is a dot name");
        }
    }

    @Test
    void dataChecksumsZeroedAndCounted() {
        byte[] csums = new byte[400];
        new SplittableRandom(3).nextBytes(csums);
        byte[] b = leaf(7, it(-10L, EXTENT_CSUM, 13631488, csums));
        NameSanitizer s = sanitizer(true);
        applyAll(s, b);
        assertArrayEquals(new byte[400], Arrays.copyOfRange(b, start(b, 0), start(b, 0) + 400));
        assertEquals(1, s.stats().checksums);
    }

    @Test
    void throughBlockScrubberTheLeafStaysValid() {
        String name = "through-the-scrubber";
        byte[] b = leaf(FS_TREE, it(256, DIR_INDEX, 2, dirEntry(257, name)), it(257, INODE_REF, 256, inodeRef(2, name)));
        new BlockScrubber(NODESIZE, ChecksumType.CRC32C, new NameSanitizer(true, SECRET).forTask()).scrub(b, OFF);
        assertTrue(ChecksumType.CRC32C.verify(b, OFF, NODESIZE), "checksum recomputed after sanitizing");
        byte[] sub = entries(b, 0).get(0).name(b);
        assertSubstitute(true, bytes(name), sub, "DIR_INDEX");
        assertArrayEquals(sub, entries(b, 1).get(0).name(b));
    }

    @Test
    void substituteIsAPureFunctionOfNameAndSecret() {
        byte[] n = bytes("some-name-for-purity");
        for (boolean collisions : new boolean[] {false, true}) {
            byte[] a = new NameSanitizer(collisions, SECRET).compute(n, 0);
            byte[] c = sanitizer(collisions).compute(n.clone(), 0);
            assertArrayEquals(a, c);
            assertFalse(Arrays.equals(a, new NameSanitizer(collisions, SECRET + 1).compute(n, 0)), "secret ignored");
        }
    }

    // ---------------------------------------------------------------- hostile items

    /** Bytes outside {@code [from, to)} are unchanged. */
    private static void assertOnlyRangeWritten(byte[] before, byte[] after, int from, int to, String what) {
        for (int i = 0; i < before.length; i++) {
            if ((i < from || i >= to) && before[i] != after[i]) {
                fail(what + ": byte at " + (i - from) + " relative to the item start written (item size "
                        + (to - from) + ")");
            }
        }
    }

    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void truncatedEntriesNeitherThrowNorWriteOutsideTheItem(boolean collisions) {
        String good = "well-formed-first-entry";
        byte[] hugeName = dirEntryRaw(258, INODE_ITEM, 0xFFFF, 0, bytes("tail-of-a-lie"), new byte[0]);
        byte[] hugeData = dirEntryRaw(258, INODE_ITEM, 5, 0xFFF0, bytes("abcde"), new byte[3]);
        List<Leaves.It> items = List.of(
                it(256, DIR_ITEM, 1, dirEntry(257, good), hugeName),
                it(256, DIR_INDEX, 2, dirEntry(257, good), hugeData),
                it(300, XATTR_ITEM, 3, xattr("user.fine-name", bytes("val")), dirEntryRaw(0, 0, 12, 0xFFFF,
                        bytes("user.abcdefg"), bytes("leaked?"))),
                it(300, INODE_REF, 256, inodeRef(2, good), u64(3), u16(200), bytes("short")),
                it(300, INODE_EXTREF, 9, extref(256, 2, good), u64(256), u64(3), u16(0xFFFF), bytes("x")),
                it(256, ROOT_REF, 257, u64(256), u64(1), u16(100), bytes("not-100-bytes")),
                it(257, ROOT_BACKREF, 256, u64(256), u64(1)), // shorter than the fixed part
                it(256, DIR_ITEM, 4, new byte[7]), // shorter than an entry header
                it(300, INODE_REF, 256, new byte[9]),
                it(300, INODE_EXTREF, 10, new byte[17]),
                it(300, XATTR_ITEM, 5, new byte[0]));
        byte[] b = leaf(FS_TREE, items.toArray(new Leaves.It[0]));
        byte[] before = b.clone();
        NameSanitizer s = sanitizer(collisions);
        for (int slot = 0; slot < items.size(); slot++) {
            int from = start(b, slot);
            int to = from + size(b, slot);
            byte[] itemBefore = b.clone();
            s.apply(b, OFF, slot, from, to - from);
            assertOnlyRangeWritten(itemBefore, b, from, to, "slot " + slot);
        }
        // the well-formed leading entries were sanitized anyway
        for (int slot : new int[] {0, 1, 3, 4}) {
            byte[] first = entries(b, slot).get(0).name(b);
            assertSubstitute(collisions, bytes(good), first, "leading entry of slot " + slot);
        }
        assertNotEquals("user.fine-name", str(entries(b, 2).get(0).name(b)));
        // the lying tails are left as read
        int slot2 = start(b, 2) + 30 + 14 + 3;
        assertArrayEquals(Arrays.copyOfRange(before, slot2, start(b, 2) + size(b, 2)),
                Arrays.copyOfRange(b, slot2, start(b, 2) + size(b, 2)), "entry that does not fit");
    }

    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void randomItemsNeitherThrowNorWriteOutsideTheItem(boolean collisions) {
        int[] types = {INODE_REF, INODE_EXTREF, XATTR_ITEM, DIR_ITEM, DIR_INDEX, EXTENT_CSUM, ROOT_BACKREF, ROOT_REF};
        SplittableRandom r = new SplittableRandom(99);
        NameSanitizer s = sanitizer(collisions);
        for (int iter = 0; iter < 3000; iter++) {
            int type = types[r.nextInt(types.length)];
            byte[] data = new byte[r.nextInt(300)];
            r.nextBytes(data);
            // plausible small length fields at the places the layouts have them, sometimes
            if (data.length > 30 && r.nextBoolean()) {
                int at = switch (type) {
                    case INODE_REF -> 8;
                    case INODE_EXTREF, ROOT_REF, ROOT_BACKREF -> 16;
                    default -> 27;
                };
                data[at] = (byte) r.nextInt(data.length);
                data[at + 1] = 0;
                if (at == 27) {
                    data[25] = (byte) r.nextInt(8);
                    data[26] = 0;
                }
            }
            long owner = r.nextBoolean() ? FS_TREE : ROOT_TREE;
            byte[] b = leaf(owner, it(256, type, r.nextLong(), data));
            byte[] before = b.clone();
            int from = start(b, 0);
            try {
                s.apply(b, OFF, 0, from, data.length);
            } catch (RuntimeException e) {
                throw new AssertionError("iteration " + iter + ", type " + type + ", size " + data.length, e);
            }
            assertOnlyRangeWritten(before, b, from, from + data.length, "iteration " + iter + " type " + type);
        }
    }

    // ---------------------------------------------------------------- distinct names, distinct substitutes

    /**
     * Names that go to the garbage path (every name with {@code -s}, names of 4 bytes or less with {@code -ss}) must
     * still get distinct substitutes for distinct names, or one directory ends up with two entries of the same name.
     * A directory of 256 two-character names (every {@code .git/objects}) is enough to show it.
     */
    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void distinctShortNamesGetDistinctSubstitutes(boolean collisions) {
        NameSanitizer s = sanitizer(collisions);
        List<byte[]> names = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            names.add(bytes(String.format("%02x", i)));
        }
        for (char c = '!'; c <= '~'; c++) {
            if (c != '/' && c != '.') {
                names.add(new byte[] {(byte) c});
            }
        }
        for (int i = 0; i < 500; i++) {
            names.add(bytes(String.format("%03d", i)));
        }
        Map<String, String> seen = new HashMap<>();
        List<String> dups = new ArrayList<>();
        for (byte[] n : names) {
            String sub = str(s.compute(n, 0));
            String other = seen.putIfAbsent(sub, str(n));
            if (other != null) {
                dups.add(other + " and " + str(n) + " -> " + sub);
            }
        }
        assertTrue(dups.isEmpty(), dups.size() + " pairs of names share a substitute: " + dups);
    }

    /**
     * Issue 11, item 10: a dir entry's transid past its leaf's generation (9 here) is stale memory, such as the bytes
     * of other names that {@code mkfs.btrfs --rootdir} leaves there: zeroed. Transids up to the generation are kept.
     */
    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void staleTransidsAreZeroedRealOnesKept(boolean collisions) {
        long stale = io.sparkbtrfs.format.LittleEndian.u64(bytes("7-CANARY"), 0);
        byte[] b = leaf(FS_TREE,
                it(256, DIR_ITEM, 1, dirEntry(257, "first-name-here"), dirEntry(258, "second-name-here")),
                it(256, DIR_INDEX, 2, dirEntry(257, "first-name-here")),
                it(257, XATTR_ITEM, 3, xattr("user.some-attribute", bytes("value"))));
        long[] transids = {stale, 9, 10, stale};
        long[] expected = {0, 9, 0, 0};
        int k = 0;
        for (int slot = 0; slot < 3; slot++) {
            for (var e : entries(b, slot)) {
                io.sparkbtrfs.format.LittleEndian.put64(b, e.name() - 13, transids[k++]);
            }
        }
        applyAll(sanitizer(collisions), b);
        k = 0;
        for (int slot = 0; slot < 3; slot++) {
            for (var e : entries(b, slot)) {
                assertEquals(expected[k], io.sparkbtrfs.format.LittleEndian.u64(b, e.name() - 13), "entry " + k);
                k++;
            }
        }
    }

    /** The reserved fields of inode and root items (zeros as the kernel writes them) keep no stale bytes. */
    @Test
    void reservedFieldsOfInodeAndRootItemsAreZeroed() {
        byte[] inode = new byte[160];
        Arrays.fill(inode, (byte) 0x41);
        byte[] root = new byte[439];
        Arrays.fill(root, (byte) 0x42);
        byte[] b = leaf(FS_TREE, it(256, INODE_ITEM, 0, inode), it(257, ROOT_ITEM, 0, root));
        applyAll(sanitizer(true), b);
        byte[] in = Arrays.copyOfRange(b, start(b, 0), start(b, 0) + 160);
        byte[] ro = Arrays.copyOfRange(b, start(b, 1), start(b, 1) + 439);
        for (int i = 0; i < 160; i++) {
            assertEquals(i >= 80 && i < 112 ? 0 : 0x41, in[i], "inode item byte " + i);
        }
        for (int i = 0; i < 439; i++) {
            assertEquals((i >= 80 && i < 112) || i >= 375 ? 0 : 0x42, ro[i], "root item byte " + i);
        }
    }
}
