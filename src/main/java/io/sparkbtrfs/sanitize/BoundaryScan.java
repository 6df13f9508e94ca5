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
    /**
     * Reads validated tree blocks (whole blocks at offset 0) in batches: every block of a wave of the scan is asked
     * at once, so that a remote source answers a tree level in a request per device rather than a request per block.
     */
    @FunctionalInterface
    public interface Reader {
        /**
         * Hands each block at {@code addresses} to {@code sink} in the order given; one that cannot be read or
         * validated is skipped or handed as null. A failure of the whole batch may be thrown: the blocks not handed
         * yet count as unreadable.
         */
        void read(long[] addresses, Sink sink) throws IOException;

        /** One block after another through {@code reader}. */
        static Reader oneByOne(BlockReader reader) {
            return (addresses, sink) -> {
                for (int i = 0; i < addresses.length; i++) {
                    byte[] b;
                    try {
                        b = reader.read(addresses[i]);
                    } catch (IOException e) {
                        b = null;
                    }
                    sink.block(i, b);
                }
            };
        }
    }

    /** Receives block {@code index} of a batch (null: unreadable). */
    @FunctionalInterface
    public interface Sink {
        void block(int index, byte[] block);
    }

    /** Reads one validated tree block. */
    @FunctionalInterface
    public interface BlockReader {
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
        Wave roots = new Wave();
        roots.add(root, rootLevel);
        if (logRoot != 0) {
            roots.add(logRoot, logRootLevel);
        }
        Wave trees = s.rootsOf(roots);
        Wave nodes = new Wave();
        for (int i = 0; i < trees.size; i++) {
            if (trees.levels[i] > 0) {
                nodes.add(trees.addresses[i], trees.levels[i]);
            }
        }
        s.nodes(nodes);
        Map<Long, Long> leafOf = s.leftmostLeaves();
        Map<Long, Long> leafFirst = s.newFirstOffsets(new NameSanitizer(true, secret, s.builder.boundariesOnly()),
                new java.util.TreeSet<>(leafOf.values()));
        for (Map.Entry<Long, Long> c : leafOf.entrySet()) {
            Long first = leafFirst.get(c.getValue());
            if (first != null && first >= 0) {
                s.builder.newFirstOffset(c.getKey(), first);
            }
        }
        return s.builder.build();
    }

    /** Blocks to read next, each with the level it must have. */
    private static final class Wave {
        long[] addresses = new long[16];
        int[] levels = new int[16];
        int size;

        void add(long address, int level) {
            if (size == addresses.length) {
                addresses = java.util.Arrays.copyOf(addresses, size * 2);
                levels = java.util.Arrays.copyOf(levels, size * 2);
            }
            addresses[size] = address;
            levels[size++] = level;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(addresses, size);
        }
    }

    /** Reads the wave in one batch; each block that reads with the expected level is visited, in wave order. */
    private void read(Wave wave, Sink visit) {
        if (wave.size == 0) {
            return;
        }
        try {
            reader.read(wave.toArray(), (i, b) -> {
                if (b != null && i >= 0 && i < wave.size && TreeBlock.level(b, 0) == wave.levels[i]) {
                    visit.block(i, b);
                }
            });
        } catch (IOException e) {
            // the blocks not handed yet are unreadable: what they would have bounded is left to the dump
        }
    }

    /** The roots (address, level) of the trees that hold names, from the ROOT_ITEMs of the trees at {@code wave}. */
    private Wave rootsOf(Wave wave) {
        Wave out = new Wave();
        while (wave.size > 0) {
            Wave next = new Wave();
            Wave current = wave;
            read(current, (i, b) -> {
                int n = (int) TreeBlock.nritems(b, 0);
                int level = current.levels[i];
                for (int slot = 0; slot < n; slot++) {
                    if (level > 0) {
                        next.add(TreeBlock.childPointer(b, 0, slot), level - 1);
                    } else if (TreeBlock.itemType(b, 0, slot) == Key.ROOT_ITEM
                            && RootItem.holdsNames(TreeBlock.itemObjectid(b, 0, slot))
                            && TreeBlock.itemInBounds(b, 0, nodesize, slot, n)
                            && RootItem.hasLevel(TreeBlock.itemSize(b, 0, slot))) {
                        int data = TreeBlock.itemDataStart(b, 0, slot);
                        out.add(RootItem.bytenr(b, data), RootItem.level(b, data));
                    }
                }
            });
            wave = next;
        }
        return out;
    }

    /** Reads the internal nodes from {@code wave} down, a level at a time, once each; collects boundaries and candidates. */
    private void nodes(Wave first) {
        Wave wave = new Wave();
        for (int i = 0; i < first.size; i++) {
            if (visited.add(first.addresses[i])) {
                wave.add(first.addresses[i], first.levels[i]);
            }
        }
        while (wave.size > 0) {
            Wave next = new Wave();
            Wave current = wave;
            read(current, (i, b) -> {
                int level = current.levels[i];
                int n = (int) TreeBlock.nritems(b, 0);
                for (int slot = 0; slot < n; slot++) {
                    int type = TreeBlock.nodeKeyType(b, 0, slot);
                    long child = TreeBlock.childPointer(b, 0, slot);
                    if (type == Key.DIR_ITEM || type == Key.XATTR_ITEM || type == Key.INODE_EXTREF) {
                        long offset = TreeBlock.nodeKeyOffset(b, 0, slot);
                        builder.add(TreeBlock.nodeKeyObjectid(b, 0, slot), type, offset);
                        if (type == Key.INODE_EXTREF || (Long.compareUnsigned(offset, 1L << 32) < 0
                                && ShortNames.mayBeRekeyableShortName((int) offset,
                                        type == Key.XATTR_ITEM ? USER : NO_PREFIX))) {
                            candidates.put(child, level - 1);
                        }
                    }
                    if (level > 1 && visited.add(child)) {
                        next.add(child, level - 1);
                    }
                }
            });
            wave = next;
        }
    }

    /** The leaf at the left end of each candidate's subtree (candidates whose descent is unreadable are left out). */
    private Map<Long, Long> leftmostLeaves() {
        Map<Long, Long> leafOf = new HashMap<>();
        List<Long> owners = new ArrayList<>();
        Wave wave = new Wave();
        for (Map.Entry<Long, Integer> c : candidates.entrySet()) {
            if (c.getValue() == 0) {
                leafOf.put(c.getKey(), c.getKey());
            } else {
                owners.add(c.getKey());
                wave.add(c.getKey(), c.getValue());
            }
        }
        while (wave.size > 0) {
            Wave next = new Wave();
            List<Long> nextOwners = new ArrayList<>();
            Wave current = wave;
            List<Long> currentOwners = owners;
            read(current, (i, b) -> {
                if (TreeBlock.nritems(b, 0) == 0) {
                    return;
                }
                long child = TreeBlock.childPointer(b, 0, 0);
                if (current.levels[i] == 1) {
                    leafOf.put(currentOwners.get(i), child);
                } else {
                    nextOwners.add(currentOwners.get(i));
                    next.add(child, current.levels[i] - 1);
                }
            });
            wave = next;
            owners = nextOwners;
        }
        return leafOf;
    }

    /**
     * The first key offset of each leaf once sanitized, or -1 if its first key stays; unreadable leaves are left
     * out.
     */
    private Map<Long, Long> newFirstOffsets(NameSanitizer sanitizer, java.util.SortedSet<Long> leaves) {
        Map<Long, Long> out = new HashMap<>();
        Wave wave = new Wave();
        for (long leaf : leaves) {
            wave.add(leaf, 0);
        }
        read(wave, (i, b) -> out.put(wave.addresses[i], newFirstOffset(sanitizer, b)));
        return out;
    }

    /** The first key offset of leaf {@code b} once sanitized, or -1 if its first key stays. */
    private long newFirstOffset(NameSanitizer sanitizer, byte[] b) {
        if (TreeBlock.nritems(b, 0) == 0) {
            return -1;
        }
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
}
