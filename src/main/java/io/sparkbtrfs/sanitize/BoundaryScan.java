package io.sparkbtrfs.sanitize;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.sparkbtrfs.format.DirItem;
import io.sparkbtrfs.format.InodeRef;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.RootItem;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Finds the {@link KeyBoundaries} of a filesystem on the driver, before the dump: reads the internal nodes of every
 * tree that holds names (the default subvolume, subvolumes and snapshots, relocation trees, log trees), never their
 * leaves but a few: a leaf whose first key may belong to a short name that gets re-keyed is sanitized here as the
 * dump will, to learn the key its parents must carry.
 *
 * <p>Cost: the internal nodes are about one block in 200 of those trees. The leaves read are those whose first key
 * is an INODE_EXTREF (rare), or a DIR_ITEM or {@code user.} XATTR_ITEM whose hash is the hash of a 1..4-byte
 * valid UTF-8 name (a short name, or by chance about one hash in thirty). Unreadable blocks are skipped: what they
 * would have bounded is left to the dump, which reports them.
 */
public final class BoundaryScan {
    /** Reads one validated tree block (whole block at offset 0). */
    @FunctionalInterface
    public interface Reader {
        byte[] read(long logical) throws IOException;
    }

    private static final byte[] USER = "user.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_PREFIX = new byte[0];

    private final Reader reader;
    private final int nodesize;
    private final KeyBoundaries.Builder builder = new KeyBoundaries.Builder();
    private final Set<Long> visited = new HashSet<>();
    /** Children whose parents' key may change: address and level. */
    private final Map<Long, Integer> candidates = new HashMap<>();
    private int nodesRead;
    private int leavesRead;

    private BoundaryScan(Reader reader, int nodesize) {
        this.reader = reader;
        this.nodesize = nodesize;
    }

    /**
     * The boundaries of the trees under the root tree at {@code root} (and the log root tree at {@code logRoot}, 0 if
     * none), with the new first keys that the sanitizer of {@code collisions}/{@code secret} gives their leaves.
     */
    public static KeyBoundaries scan(Reader reader, int nodesize, long root, int rootLevel, long logRoot,
            int logRootLevel, long secret) {
        BoundaryScan s = new BoundaryScan(reader, nodesize);
        List<long[]> trees = new ArrayList<>();
        s.rootsOf(root, rootLevel, trees);
        if (logRoot != 0) {
            s.rootsOf(logRoot, logRootLevel, trees);
        }
        for (long[] t : trees) {
            if (t[1] > 0) {
                s.nodes(t[0], (int) t[1]);
            }
        }
        NameSanitizer sanitizer = new NameSanitizer(true, secret, s.builder.boundariesOnly());
        Map<Long, Long> leafFirst = new HashMap<>();
        for (Map.Entry<Long, Integer> c : s.candidates.entrySet()) {
            long leaf = s.leftmostLeaf(c.getKey(), c.getValue());
            if (leaf == 0) {
                continue;
            }
            Long first = leafFirst.get(leaf);
            if (first == null) {
                first = s.newFirstOffset(sanitizer, leaf);
                leafFirst.put(leaf, first);
            }
            if (first >= 0) {
                s.builder.newFirstOffset(c.getKey(), first);
            }
        }
        return s.builder.build();
    }

    /** The roots (address, level) of the trees that hold names, from the ROOT_ITEMs of the tree at {@code root}. */
    private void rootsOf(long root, int level, List<long[]> out) {
        byte[] b = read(root, level);
        if (b == null) {
            return;
        }
        int n = (int) TreeBlock.nritems(b, 0);
        if (level > 0) {
            for (int slot = 0; slot < n; slot++) {
                rootsOf(TreeBlock.childPointer(b, 0, slot), level - 1, out);
            }
            return;
        }
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemType(b, 0, slot) != Key.ROOT_ITEM || !RootItem.holdsNames(TreeBlock.itemObjectid(b, 0, slot))
                    || !TreeBlock.itemInBounds(b, 0, nodesize, slot, n)
                    || !RootItem.hasLevel(TreeBlock.itemSize(b, 0, slot))) {
                continue;
            }
            int data = TreeBlock.itemDataStart(b, 0, slot);
            out.add(new long[] {RootItem.bytenr(b, data), RootItem.level(b, data)});
        }
    }

    /** Reads an internal node and those below it, once each; collects boundaries and candidate children. */
    private void nodes(long bytenr, int level) {
        if (!visited.add(bytenr)) {
            return;
        }
        byte[] b = read(bytenr, level);
        if (b == null) {
            return;
        }
        nodesRead++;
        int n = (int) TreeBlock.nritems(b, 0);
        for (int slot = 0; slot < n; slot++) {
            int type = TreeBlock.nodeKeyType(b, 0, slot);
            long child = TreeBlock.childPointer(b, 0, slot);
            if (type == Key.DIR_ITEM || type == Key.XATTR_ITEM || type == Key.INODE_EXTREF) {
                long offset = TreeBlock.nodeKeyOffset(b, 0, slot);
                builder.add(TreeBlock.nodeKeyObjectid(b, 0, slot), type, offset);
                if (type == Key.INODE_EXTREF || (Long.compareUnsigned(offset, 1L << 32) < 0
                        && ShortNames.mayBeRekeyableShortName((int) offset, type == Key.XATTR_ITEM ? USER : NO_PREFIX))) {
                    candidates.put(child, level - 1);
                }
            }
            if (level > 1) {
                nodes(child, level - 1);
            }
        }
    }

    /** The leaf at the left end of the subtree at {@code bytenr}; 0 if unreadable. */
    private long leftmostLeaf(long bytenr, int level) {
        long at = bytenr;
        for (int l = level; l > 0; l--) {
            byte[] b = read(at, l);
            if (b == null || TreeBlock.nritems(b, 0) == 0) {
                return 0;
            }
            at = TreeBlock.childPointer(b, 0, 0);
        }
        return at;
    }

    /** The first key offset of leaf {@code bytenr} once sanitized, or -1 if its first key stays (or unreadable). */
    private long newFirstOffset(NameSanitizer sanitizer, long bytenr) {
        byte[] b = read(bytenr, 0);
        if (b == null || TreeBlock.nritems(b, 0) == 0) {
            return -1;
        }
        leavesRead++;
        long before = TreeBlock.itemKeyOffset(b, 0, 0);
        long objectid = TreeBlock.itemObjectid(b, 0, 0);
        int type = TreeBlock.itemType(b, 0, 0);
        if (!onlyShortNames(b)) {
            return -1; // an entry of the first item stays under its key, and nothing moves below it
        }
        sanitizer.sanitizeLeaf(b, nodesize);
        if (TreeBlock.nritems(b, 0) == 0 || TreeBlock.itemObjectid(b, 0, 0) != objectid
                || TreeBlock.itemType(b, 0, 0) != type) {
            return -1; // cannot happen: only key offsets change, and only within their cell
        }
        long after = TreeBlock.itemKeyOffset(b, 0, 0);
        return after == before ? -1 : after;
    }

    /**
     * Whether every entry of the leaf's first item has a name of 1..4 sanitized bytes (after {@code user.} for
     * xattrs): only then can the first key move (an entry that stays keeps the key, and moved entries stay in its
     * cell, at or above it). Most leaves read here start with a long name whose hash merely looks like a short one's.
     */
    private boolean onlyShortNames(byte[] b) {
        int n = (int) TreeBlock.nritems(b, 0);
        if (!TreeBlock.itemInBounds(b, 0, nodesize, 0, n)) {
            return false;
        }
        int type = TreeBlock.itemType(b, 0, 0);
        int start = TreeBlock.itemDataStart(b, 0, 0);
        int end = start + (int) TreeBlock.itemSize(b, 0, 0);
        boolean extref = type == Key.INODE_EXTREF;
        int header = extref ? InodeRef.EXTREF_HEADER_SIZE : DirItem.HEADER_SIZE;
        int entries = 0;
        for (int p = start; p + header <= end; entries++) {
            int nameLen = extref ? InodeRef.extrefNameLen(b, p) : DirItem.nameLen(b, p);
            int free = type == Key.XATTR_ITEM && startsWithUser(b, p + header, nameLen) ? nameLen - USER.length : nameLen;
            if (free < 1 || free > ShortNames.MAX_FREE || (type == Key.XATTR_ITEM && free == nameLen)) {
                return false;
            }
            p += header + nameLen + (extref ? 0 : DirItem.dataLen(b, p));
        }
        return entries > 0;
    }

    private static boolean startsWithUser(byte[] b, int name, int len) {
        return len >= USER.length && java.util.Arrays.equals(b, name, name + USER.length, USER, 0, USER.length);
    }

    /** The block at {@code bytenr} if it reads and has the expected level, else null. */
    private byte[] read(long bytenr, int level) {
        try {
            byte[] b = reader.read(bytenr);
            return TreeBlock.level(b, 0) == level ? b : null;
        } catch (IOException e) {
            return null;
        }
    }
}
