package io.sparkbtrfs.dump;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.LongHashSet;
import io.sparkbtrfs.device.Trees;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.FileExtent;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.RootItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.format.TreeRoot;
import io.sparkbtrfs.image.MetadumpFormat;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides what the image holds and in which order, as the reference does (spec §2.6, §3.3): the
 * superblock; then every tree block recorded in the extent tree in key order (or, with {@code -w}, a
 * pre-order walk of the chunk tree and of the root tree and every tree it references); then the log
 * trees; then the v1 space-cache file extents.
 */
public final class Planner {
    /** A walk to a block whose parent does not say which generation it must have. */
    private static final long UNKNOWN_GENERATION = 0;
    /** Larger v1 space-cache extents than this are not credible; refuse rather than allocate. */
    private static final long MAX_DATA_EXTENT = MetadumpFormat.MAX_PENDING_V1;

    private final Volume volume;
    private final int nodesize;
    private final java.util.List<BlockProblem> problems;
    private PlanBuilder plan = new PlanBuilder(MetadumpFormat.MAX_PENDING_V0);
    private LongHashSet seen = new LongHashSet();
    /** After the extent tree's scan: how many (sorted) items it gave; walks then skip blocks those cover. */
    private int listed = -1;
    /** The blocks the walks read, read ahead a level at a time. */
    private WalkReads reads;
    /** Every root the superblock and the root tree name ({@link #roots()}), or null before they are read. */
    private List<TreeRoot> roots;

    private final ExtentScan.Scanner scanner;

    private Planner(Volume volume, java.util.List<BlockProblem> problems, ExtentScan.Scanner scanner) {
        this.volume = volume;
        this.nodesize = volume.superblock().nodesize();
        this.problems = problems;
        this.scanner = scanner == null ? ExtentScan.local(volume) : scanner;
    }

    public static ItemPlan plan(Volume volume, boolean walkTrees) throws BtrfsFormatException, BlockReadException {
        return plan(volume, walkTrees, null);
    }

    /** As {@link #plan(Volume, boolean)}, the extent-tree leaves scanned by {@code scanner} (null: here). */
    public static ItemPlan plan(Volume volume, boolean walkTrees, ExtentScan.Scanner scanner)
            throws BtrfsFormatException, BlockReadException {
        return new Planner(volume, null, scanner).run(walkTrees);
    }

    /**
     * Best effort: an unreadable or invalid extent tree falls back to walking the trees; in a walk, a block
     * that fails on every copy is still dumped if it can be read at all (its pointers are not followed) and
     * skipped otherwise; damaged log or space-cache trees are left out. Every such block goes to
     * {@code problems}. Only an unreadable chunk tree (nothing can be mapped) still fails, earlier.
     */
    public static ItemPlan planBestEffort(Volume volume, boolean walkTrees, java.util.List<BlockProblem> problems)
            throws BtrfsFormatException, BlockReadException {
        return planBestEffort(volume, walkTrees, problems, null);
    }

    public static ItemPlan planBestEffort(Volume volume, boolean walkTrees, java.util.List<BlockProblem> problems,
            ExtentScan.Scanner scanner) throws BtrfsFormatException, BlockReadException {
        return new Planner(volume, problems, scanner).run(walkTrees);
    }

    private boolean bestEffort() {
        return problems != null;
    }

    private ItemPlan run(boolean walkTrees) throws BtrfsFormatException, BlockReadException {
        Superblock sb = volume.superblock();
        plan.addSuperblock(Superblock.PRIMARY_OFFSET, Superblock.SIZE);
        boolean walk = walkTrees;
        if (!walk) {
            try {
                scanExtentTree(sb);
            } catch (BtrfsFormatException | BlockReadException e) {
                if (!bestEffort()) {
                    throw e;
                }
                long at = e instanceof BlockReadException b ? b.logical() : sb.root();
                problems.add(new BlockProblem(at, "extent tree", e.getMessage(), "walking the trees instead (-w)"));
                plan = new PlanBuilder(MetadumpFormat.MAX_PENDING_V0);
                seen = new LongHashSet();
                plan.addSuperblock(Superblock.PRIMARY_OFFSET, Superblock.SIZE);
                walk = true;
            }
        }
        List<WalkReads.Start> starts = new ArrayList<>();
        List<TreeRoot> unlisted = walk ? List.of() : unlistedRoots(sb);
        if (walk) {
            starts.add(start(sb.chunkRoot(), sb.chunkRootLevel(), true));
            starts.add(start(sb.root(), sb.rootLevel(), true));
            if (sb.remapRoot() != 0) {
                starts.add(start(sb.remapRoot(), sb.remapRootLevel(), false));
            }
        }
        for (TreeRoot root : unlisted) {
            starts.add(start(root.bytenr(), expectedLevel(root), root.bytenr() == sb.root()));
        }
        if (sb.logRoot() != 0) {
            starts.add(start(sb.logRoot(), sb.logRootLevel(), true));
        }
        reads = WalkReads.ahead(volume, starts);
        if (walk) {
            walk(sb.chunkRoot(), sb.chunkRootLevel(), sb.chunkRootGeneration(), true, "chunk tree");
            walk(sb.root(), sb.rootLevel(), sb.generation(), true, "root tree");
            if (sb.remapRoot() != 0) {
                walk(sb.remapRoot(), sb.remapRootLevel(), UNKNOWN_GENERATION, false, "remap tree");
            }
        } else {
            for (TreeRoot root : unlisted) {
                walk(root.bytenr(), expectedLevel(root), UNKNOWN_GENERATION, root.bytenr() == sb.root(),
                        "tree " + Long.toUnsignedString(root.objectid()));
            }
            listed = -1; // log trees are walked as the reference walks them
        }
        if (sb.logRoot() != 0) {
            walk(sb.logRoot(), sb.logRootLevel(), sb.logRootGeneration(), true, "log root tree");
        }
        try {
            addSpaceCache(sb);
        } catch (BtrfsFormatException | BlockReadException e) {
            if (!bestEffort()) {
                throw e;
            }
            problems.add(new BlockProblem(sb.root(), "root tree", e.getMessage(), "v1 space cache left out"));
        }
        return withEveryRoot(plan.build());
    }

    /**
     * The plan, checked to hold every root the image needs to open ({@link RootCoverage}). A missing root
     * fails the plan; with best effort it is added on its own (dumped as read, or zeroed if unreadable) and
     * reported, so that the image still shows where it was.
     */
    private ItemPlan withEveryRoot(ItemPlan built) throws BtrfsFormatException, BlockReadException {
        java.util.List<TreeRoot> roots;
        try {
            roots = roots();
        } catch (BtrfsFormatException | BlockReadException e) {
            if (!bestEffort()) {
                throw e;
            }
            return built; // the root tree's damage is reported already
        }
        java.util.List<TreeRoot> missing = RootCoverage.missing(built, roots);
        if (missing.isEmpty()) {
            return built;
        }
        if (!bestEffort()) {
            throw new BtrfsFormatException(TreeRoot.summary(missing) + " is not listed in the extent tree, so the "
                    + "image would not open; dump with -w to walk the trees instead");
        }
        for (TreeRoot r : missing) {
            if (volume.chunkMap().find(r.bytenr()) == null) {
                problems.add(new BlockProblem(r.bytenr(), r.tree() + " tree", "root block not in the plan, and no "
                        + "chunk maps its address", "left out"));
                continue;
            }
            plan.add(r.bytenr(), nodesize, false);
            problems.add(new BlockProblem(r.bytenr(), r.tree() + " tree", "root block not in the plan",
                    "dumped on its own; the rest of its tree may be missing"));
        }
        return plan.build();
    }

    private void scanExtentTree(Superblock sb) throws BtrfsFormatException, BlockReadException {
        long[] root = findRoot(sb, Key.EXTENT_TREE_OBJECTID);
        if (root == null) {
            throw new BtrfsFormatException("extent tree root not found in the root tree");
        }
        long[] leaves = Trees.leavesFrom(volume::readTreeBlocks, root[0], (int) root[1], "extent tree", ExtentScan.FROM);
        ExtentScan.resolve(volume, leaves, scanner.scan(leaves), plan);
    }

    /**
     * The trees that the superblock or a root item names but whose root block the extent tree does not list (the
     * remap tree of btrfs-progs 6.19's experimental {@code -O remap-tree}: its blocks have no back-references), to
     * be walked so that the image holds every tree the filesystem needs. Their blocks follow the extent tree's,
     * each once; a filesystem without such trees gets exactly the reference's plan. Log trees are walked anyway.
     */
    private List<TreeRoot> unlistedRoots(Superblock sb) throws BtrfsFormatException, BlockReadException {
        listed = plan.seal();
        List<TreeRoot> candidates = new ArrayList<>(roots());
        TreeRoot remap = TreeRoot.remapRoot(sb);
        if (remap != null) {
            candidates.add(remap);
        }
        List<TreeRoot> unlisted = new ArrayList<>();
        for (TreeRoot root : candidates) {
            if (root.objectid() != TreeRoot.LOG_ROOT_OBJECTID && root.bytenr() != 0
                    && !plan.covers(listed, root.bytenr())) {
                unlisted.add(root);
            }
        }
        return unlisted;
    }

    /** Every root the superblock and the root tree reference, the root tree's leaves read once per plan. */
    private List<TreeRoot> roots() throws BtrfsFormatException, BlockReadException {
        if (roots == null) {
            roots = RootCoverage.roots(volume);
        }
        return roots;
    }

    /** The level to expect at a root: its recorded level, or unknown (-1) if that is not a level at all. */
    private static int expectedLevel(TreeRoot root) {
        return root.level() >= 0 && root.level() < TreeBlock.MAX_LEVEL ? root.level() : TreeRoot.UNKNOWN_LEVEL;
    }

    /** Where a walk starts; a root expected to be a leaf of a tree not scanned for ROOT_ITEMs is not read. */
    private static WalkReads.Start start(long bytenr, int expectedLevel, boolean scanRoots) {
        return new WalkReads.Start(bytenr, scanRoots, expectedLevel != 0 || scanRoots);
    }

    /** Bytenr and level of the root of tree {@code objectid}, from its ROOT_ITEM in the root tree; null if absent. */
    private long[] findRoot(Superblock sb, long objectid) throws BtrfsFormatException, BlockReadException {
        long[] found = new long[2];
        boolean[] hit = {false};
        Key from = new Key(objectid, Key.ROOT_ITEM, 0);
        Trees.forEachLeafFrom(volume::readTreeBlocks, sb.root(), sb.rootLevel(), "root tree", from, (leaf, n) -> {
            for (int slot = 0; slot < n && !hit[0]; slot++) {
                Key key = TreeBlock.itemKey(leaf, 0, slot);
                if (key.objectid() == objectid && key.type() == Key.ROOT_ITEM) {
                    if (!TreeBlock.itemInBounds(leaf, 0, nodesize, slot, n)
                            || !RootItem.hasLevel(TreeBlock.itemSize(leaf, 0, slot))) {
                        throw new BtrfsFormatException("root item " + key + " is truncated or outside its block");
                    }
                    int data = TreeBlock.itemDataStart(leaf, 0, slot);
                    found[0] = RootItem.bytenr(leaf, data);
                    found[1] = RootItem.level(leaf, data);
                    hit[0] = true;
                }
            }
        });
        if (hit[0] && found[1] >= TreeBlock.MAX_LEVEL) {
            throw new BtrfsFormatException("root item of tree " + objectid + " has invalid level " + found[1]);
        }
        return hit[0] ? found : null;
    }

    /**
     * Pre-order walk; a block is submitted once per dump. With {@code scanRoots}, leaves are searched for
     * ROOT_ITEMs whose trees are walked in turn (one level deep, as the reference does). Other leaves are not read:
     * they are submitted by address and marked as leaves in the plan, and the task that dumps them checks that
     * they are (issue 16); the blocks read here come from the read-ahead ({@link WalkReads}).
     */
    private void walk(long bytenr, int expectedLevel, long expectedGeneration, boolean scanRoots, String tree)
            throws BtrfsFormatException, BlockReadException {
        if (!seen.add(bytenr)) {
            return;
        }
        if (expectedLevel == 0 && !scanRoots) {
            String unreadable = volume.unreadable(bytenr);
            if (unreadable == null) {
                submitLeaf(bytenr);
            } else {
                failed(bytenr, new BlockReadException(bytenr, unreadable + " (" + tree + ")"), tree);
            }
            return;
        }
        WalkReads.Block block = reads.get(bytenr, scanRoots);
        try {
            if (block.failure() != null) {
                throw Trees.named(block.failure(), tree);
            }
            // Not the generation its parent expects ("parent transid verify failed"): rewritten under us if the
            // source is being written; otherwise damage the filesystem has, dumped as the reference does.
            if (expectedGeneration != UNKNOWN_GENERATION && block.generation() != expectedGeneration
                    && volume.changedSinceOpened()) {
                throw new BlockReadException(bytenr, "unable to read metadata block " + Long.toUnsignedString(bytenr)
                        + ": generation " + Long.toUnsignedString(block.generation()) + ", its parent expects "
                        + Long.toUnsignedString(expectedGeneration) + "; the source is being written (" + tree + ")");
            }
        } catch (BlockReadException e) {
            failed(bytenr, e, tree);
            return;
        }
        int level = block.level();
        if (expectedLevel >= 0 && level != expectedLevel) {
            String why = tree + " block " + Long.toUnsignedString(bytenr) + " has level " + level + ", expected "
                    + expectedLevel;
            if (!bestEffort()) {
                throw new BtrfsFormatException(why);
            }
            submit(bytenr);
            problems.add(new BlockProblem(bytenr, tree, why, "dumped, not followed"));
            return;
        }
        submit(bytenr);
        int n = block.nritems();
        if (level > 0) {
            long[] generations = block.childGenerations();
            for (int slot = 0; slot < n; slot++) {
                walk(block.children()[slot], level - 1, generations == null ? UNKNOWN_GENERATION : generations[slot],
                        scanRoots, tree);
            }
            return;
        }
        if (!scanRoots) {
            return;
        }
        byte[] leaf = block.leaf();
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemType(leaf, 0, slot) != Key.ROOT_ITEM) {
                continue;
            }
            Key key = TreeBlock.itemKey(leaf, 0, slot);
            if (!TreeBlock.itemInBounds(leaf, 0, nodesize, slot, n)
                    || !RootItem.hasBytenr(TreeBlock.itemSize(leaf, 0, slot))) {
                String why = "root item " + key + " in block " + Long.toUnsignedString(bytenr)
                        + " is truncated or outside its block";
                if (!bestEffort()) {
                    throw new BtrfsFormatException(why);
                }
                problems.add(new BlockProblem(bytenr, tree, why, "that tree is left out"));
                continue;
            }
            int data = TreeBlock.itemDataStart(leaf, 0, slot);
            walk(RootItem.bytenr(leaf, data), -1, RootItem.generation(leaf, data), false,
                    "tree " + Long.toUnsignedString(key.objectid()));
        }
    }

    /**
     * A block the walk cannot read: the plan fails, or (best effort) it is dumped as read if it can be read at all,
     * its pointers not followed, and left out otherwise.
     */
    private void failed(long bytenr, BlockReadException e, String tree) throws BlockReadException {
        if (!bestEffort()) {
            throw e;
        }
        boolean readable = volume.readRawBlock(bytenr) != null;
        if (readable) {
            submit(bytenr);
        }
        problems.add(new BlockProblem(bytenr, tree, e.getMessage(), readable ? "dumped as read, not followed" : "left out"));
    }

    /** Adds a leaf the walk did not read, for the task that dumps it to check (unless the extent tree's scan listed it). */
    private void submitLeaf(long bytenr) {
        if (listed < 0 || !plan.covers(listed, bytenr)) {
            plan.addLeaf(bytenr, nodesize);
        }
    }

    /** Adds a walked tree block, unless the extent tree's scan already did. */
    private void submit(long bytenr) {
        if (listed < 0 || !plan.covers(listed, bytenr)) {
            plan.add(bytenr, nodesize, false);
        }
    }

    private void addSpaceCache(Superblock sb) throws BtrfsFormatException, BlockReadException {
        Key from = new Key(0, Key.EXTENT_DATA, 0);
        Trees.forEachLeafFrom(volume::readTreeBlocks, sb.root(), sb.rootLevel(), "root tree", from, (leaf, n) -> {
            for (int slot = 0; slot < n; slot++) {
                Key key = TreeBlock.itemKey(leaf, 0, slot);
                if (key.type() != Key.EXTENT_DATA || key.compareTo(from) < 0) {
                    continue;
                }
                if (!TreeBlock.itemInBounds(leaf, 0, nodesize, slot, n)
                        || TreeBlock.itemSize(leaf, 0, slot) <= FileExtent.TYPE_OFFSET) {
                    throw new BtrfsFormatException("space cache extent " + key + " in block "
                            + Long.toUnsignedString(TreeBlock.bytenr(leaf, 0)) + " is truncated or outside its block");
                }
                int data = TreeBlock.itemDataStart(leaf, 0, slot);
                if (FileExtent.type(leaf, data) != FileExtent.TYPE_REG) {
                    continue;
                }
                if (TreeBlock.itemSize(leaf, 0, slot) < FileExtent.REG_SIZE) {
                    throw new BtrfsFormatException("space cache extent " + key + " is truncated");
                }
                long bytenr = FileExtent.diskBytenr(leaf, data);
                long size = FileExtent.diskNumBytes(leaf, data);
                if (bytenr == 0) {
                    continue; // a hole: nothing on disk to copy
                }
                if (size == 0 || Long.compareUnsigned(size, MAX_DATA_EXTENT) > 0) {
                    throw new BtrfsFormatException("space cache extent " + key + " has implausible size "
                            + Long.toUnsignedString(size));
                }
                plan.add(bytenr, size, true);
            }
        });
    }
}
