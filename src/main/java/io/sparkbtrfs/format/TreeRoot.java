package io.sparkbtrfs.format;

import java.util.ArrayList;
import java.util.List;

/**
 * A root block a filesystem needs to open: the chunk root, the tree root and the log root named by the
 * superblock, and the root of every tree the root tree has a ROOT_ITEM for.
 */
public record TreeRoot(long objectid, String tree, long bytenr, int level) {
    /** Objectid of the root tree, the owner of its blocks. */
    public static final long ROOT_TREE_OBJECTID = 1;
    /** Objectid of the log root tree (BTRFS_TREE_LOG_OBJECTID, -6 as an unsigned 64-bit value). */
    public static final long LOG_ROOT_OBJECTID = -6L;
    /** The level of a root whose ROOT_ITEM is too short to hold one (or names a level beyond the maximum). */
    public static final int UNKNOWN_LEVEL = -1;

    /** "the root of the fs tree (block 30539776)". */
    public String describe() {
        return "the root of the " + tree + " tree (block " + Long.toUnsignedString(bytenr) + ")";
    }

    /** The roots the superblock names itself that an image must hold: chunk, root and (if any) log root. */
    public static List<TreeRoot> fromSuperblock(Superblock sb) {
        List<TreeRoot> roots = new ArrayList<>(List.of(
                new TreeRoot(Key.CHUNK_TREE_OBJECTID, "chunk", sb.chunkRoot(), sb.chunkRootLevel()),
                new TreeRoot(ROOT_TREE_OBJECTID, "root", sb.root(), sb.rootLevel())));
        if (sb.logRoot() != 0) {
            roots.add(new TreeRoot(LOG_ROOT_OBJECTID, "log root", sb.logRoot(), sb.logRootLevel()));
        }
        return roots;
    }

    /**
     * The remap tree's root (btrfs-progs 6.19's experimental {@code -O remap-tree}), which the superblock names and
     * no extent item lists, or null. Not among {@link #fromSuperblock}: images made by a reference that leaves it
     * out must still restore.
     */
    public static TreeRoot remapRoot(Superblock sb) {
        return sb.remapRoot() == 0 ? null
                : new TreeRoot(Key.REMAP_TREE_OBJECTID, "remap", sb.remapRoot(), sb.remapRootLevel());
    }

    /**
     * Adds the root of every ROOT_ITEM of the root-tree leaf at {@code b[off..]} (validated, {@code n} items)
     * to {@code out}; items that do not fit in the block or are too short to name a root are skipped.
     */
    public static void fromRootTreeLeaf(byte[] b, int off, int nodesize, int n, List<TreeRoot> out) {
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemType(b, off, slot) != Key.ROOT_ITEM || !TreeBlock.itemInBounds(b, off, nodesize, slot, n)
                    || !RootItem.hasBytenr(TreeBlock.itemSize(b, off, slot))) {
                continue;
            }
            long id = TreeBlock.itemKey(b, off, slot).objectid();
            int data = TreeBlock.itemDataStart(b, off, slot);
            int level = RootItem.hasLevel(TreeBlock.itemSize(b, off, slot)) ? RootItem.level(b, data) : UNKNOWN_LEVEL;
            out.add(new TreeRoot(id, TreeNames.of(id), RootItem.bytenr(b, data),
                    level >= 0 && level < TreeBlock.MAX_LEVEL ? level : UNKNOWN_LEVEL));
        }
    }

    /** One line: the first root of {@code roots}, and how many more. */
    public static String summary(List<TreeRoot> roots) {
        String first = roots.get(0).describe();
        return roots.size() == 1 ? first : first + " and " + (roots.size() - 1) + " other root(s)";
    }
}
