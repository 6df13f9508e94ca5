package io.sparkbtrfs.format;

import java.util.ArrayList;
import java.util.List;

/**
 * A root block a filesystem needs to open: the chunk root, the tree root and the log root named by the
 * superblock, and the root of every tree the root tree has a ROOT_ITEM for.
 */
public record TreeRoot(String tree, long bytenr) {
    /** Objectid of the root tree, the owner of its blocks. */
    public static final long ROOT_TREE_OBJECTID = 1;

    /** "the root of the fs tree (block 30539776)". */
    public String describe() {
        return "the root of the " + tree + " tree (block " + Long.toUnsignedString(bytenr) + ")";
    }

    /** The roots the superblock names itself. */
    public static List<TreeRoot> fromSuperblock(Superblock sb) {
        List<TreeRoot> roots = new ArrayList<>(List.of(new TreeRoot("chunk", sb.chunkRoot()),
                new TreeRoot("root", sb.root())));
        if (sb.logRoot() != 0) {
            roots.add(new TreeRoot("log root", sb.logRoot()));
        }
        return roots;
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
            out.add(new TreeRoot(TreeNames.of(id), RootItem.bytenr(b, TreeBlock.itemDataStart(b, off, slot))));
        }
    }

    /** One line: the first root of {@code roots}, and how many more. */
    public static String summary(List<TreeRoot> roots) {
        String first = roots.get(0).describe();
        return roots.size() == 1 ? first : first + " and " + (roots.size() - 1) + " other root(s)";
    }
}
