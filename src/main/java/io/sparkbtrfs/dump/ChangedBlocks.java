package io.sparkbtrfs.dump;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.LongHashSet;
import io.sparkbtrfs.device.ReadCounts;
import io.sparkbtrfs.device.Trees;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.RootItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;

/**
 * The tree blocks a delta carries: every block written after the base generation, found by a walk from the roots
 * that skips each pointer (node pointer, root item, superblock root) whose generation is at most the base's,
 * since copy-on-write gives a rewritten block a new address and its parents new generations; and the chunk tree
 * and log trees whole, which a delta always carries. Header and pointer generations are trusted, never the extent
 * tree's (its generations can be 0 or stale after a repair). Only blocks of the full dump's plan are visited: a
 * tree being dropped after a subvolume deletion still points to children already freed, whose space may hold
 * anything by now. Leaves are not read (their parent says what they are), except those of the trees that name
 * other trees (root tree, log root tree): they are carried marked as leaves, and the task that dumps them checks
 * that they are ({@link ItemPlan#mustBeLeaf}). Cost: the internal nodes found and the root trees' leaves, read into
 * reused buffers.
 *
 * <p><b>Spread walk</b> ({@link #since(Volume, long, ItemPlan, Spreader)}). The walk visits each block once, and
 * what a visit does depends on the block alone (its header, its pointers, whether the plan holds it) and on how it
 * is reached: claimed a leaf by its parent or read; in a tree carried whole or not; in a tree scanned for ROOT_ITEMs
 * or not. When no block is reached in two of these ways, as in every healthy filesystem (a block shared by
 * snapshots is reached from parents of the same level), the blocks visited are the closure of the roots under
 * these rules, whatever the order of the visits. The spread walk relies on that: the driver walks the chunk, root,
 * remap-start and log trees depth first as above, then the other trees breadth first, one level (a wave) at a time
 * in batches; once a wave holds {@link Spreader#minNodes} changed internal nodes to read, the rest of the walk under
 * each of them runs elsewhere ({@link #under}, on executors) and comes back as primitive arrays. Every visit, here
 * and there, records how its block was reached; a block reached in two ways, a block that cannot be read, or a
 * subtree walk that failed, and the sequential walk runs again on this thread: its result (or its failure) is then
 * the one given. So the spread walk's result is the sequential walk's, always.
 */
public final class ChangedBlocks {
    /** Bits of how a block is reached: claimed a leaf and not read, in a tree carried whole, in a scanned tree. */
    private static final int UNREAD = 1;
    private static final int WHOLE = 2;
    private static final int ROOTS = 4;

    private final Volume volume;
    private final long baseGeneration;
    private final LiveBlocks live;
    private final LongHashSet carried = new LongHashSet();
    private final LongHashSet seen = new LongHashSet();
    /** The carried blocks that were not read: leaves by their parent's word. */
    private final LongHashSet unreadLeaves = new LongHashSet();
    /** Block buffers, one per level of the walk in progress. */
    private final ArrayDeque<byte[]> buffers = new ArrayDeque<>();
    /** In a spread walk, the blocks visited by how they were reached (index: the bits above); else null. */
    private final LongHashSet[] reached;
    /** In a spread walk's driver part, the starts of the trees walked in waves; else null. */
    private final Frontier deferred;
    /** The first block reached in two ways, described; null if none. */
    private String ambiguity;
    private long read;

    private ChangedBlocks(Volume volume, long baseGeneration, LiveBlocks live, boolean spread, boolean defer) {
        this.volume = volume;
        this.baseGeneration = baseGeneration;
        this.live = live;
        this.reached = spread ? new LongHashSet[8] : null;
        this.deferred = defer ? new Frontier() : null;
    }

    /**
     * What the walk found: the addresses to carry, those of them carried unread as leaves (a subset), how many
     * blocks it read (in every JVM, a block read by two subtree walks counted twice), and where it ran.
     */
    public record Found(LongHashSet carried, LongHashSet unreadLeaves, long blocksRead, String how) {
    }

    /**
     * Continues spread walks elsewhere: under each of {@code bytenrs} (blocks the driver reached, to read, each with
     * the level its parent claims or -1), the rest of the walk, in subtree walks ({@link #under}) whose results
     * come back in any order.
     */
    public interface Spreader {
        /** Changed internal nodes in one wave from which the walk is handed over. */
        int minNodes();

        List<Subtrees> walk(LiveBlocks live, long baseGeneration, long[] bytenrs, int[] levels);

        /** What the subtree walks so far cost reading the source in other JVMs. */
        default ReadCounts otherJvmReads() {
            return ReadCounts.NONE;
        }
    }

    /**
     * What one subtree walk found: the leaves it carries unread, the nodes it read and carries, the blocks it read
     * and does not carry (their header is not newer than the base, though their pointer was), the blocks it read;
     * {@code problem} non-null if it failed or met a block reached in two ways (its arrays are then incomplete).
     */
    public record Subtrees(long[] leaves, long[] nodes, long[] stale, long blocksRead, String problem)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** The blocks of {@code full} (the plan of a full dump now) to carry in a delta against {@code baseGeneration}. */
    public static Found since(Volume volume, long baseGeneration, ItemPlan full)
            throws BtrfsFormatException, BlockReadException {
        ChangedBlocks w = new ChangedBlocks(volume, baseGeneration, LiveBlocks.of(full), false, false);
        w.fromSuperblock();
        return new Found(w.carried, w.unreadLeaves, w.read, "depth first on this thread");
    }

    /**
     * As {@link #since(Volume, long, ItemPlan)}, the same result, with the walk's lower levels handed to
     * {@code spreader} once a wave holds enough changed internal nodes (see the class comment).
     */
    public static Found since(Volume volume, long baseGeneration, ItemPlan full, Spreader spreader)
            throws BtrfsFormatException, BlockReadException {
        ChangedBlocks w = new ChangedBlocks(volume, baseGeneration, LiveBlocks.of(full), true, true);
        String problem;
        String how;
        try {
            w.fromSuperblock();
            Spread s = w.waves(w.deferred, spreader);
            problem = s.problem() != null ? s.problem() : w.ambiguity;
            how = s.how();
        } catch (BtrfsFormatException | BlockReadException e) {
            problem = e.getMessage();
            how = "breadth first";
        }
        if (problem == null) {
            return new Found(w.carried, w.unreadLeaves, w.read, how);
        }
        Found again = since(volume, baseGeneration, full);
        return new Found(again.carried(), again.unreadLeaves(), w.read + again.blocksRead(), how
                + "; then again depth first on this thread: " + problem);
    }

    /**
     * A subtree walk of a spread walk: the rest of the walk under {@code bytenrs[from..to)}, blocks that the driver
     * reached and that their parents (claiming {@code levels}) say are not leaves. Never throws for the source:
     * failures are reported in the result.
     */
    public static Subtrees under(Volume volume, long baseGeneration, LiveBlocks live, long[] bytenrs, int[] levels,
            int from, int to) {
        ChangedBlocks w = new ChangedBlocks(volume, baseGeneration, live, true, false);
        Frontier start = new Frontier();
        for (int i = from; i < to; i++) {
            start.add(bytenrs[i], levels[i], Long.MAX_VALUE); // the driver checked their generations
        }
        String problem;
        try {
            problem = w.waves(start, null).problem();
        } catch (BtrfsFormatException | BlockReadException e) {
            problem = e.getMessage();
        }
        if (problem == null) {
            problem = w.ambiguity;
        }
        long[] read = w.reachedAs(0);
        int nodes = 0;
        for (long b : read) {
            nodes += w.carried.contains(b) ? 1 : 0;
        }
        long[] carriedNodes = new long[nodes];
        long[] stale = new long[read.length - nodes];
        for (int i = 0, n = 0, s = 0; i < read.length; i++) {
            if (w.carried.contains(read[i])) {
                carriedNodes[n++] = read[i];
            } else {
                stale[s++] = read[i];
            }
        }
        return new Subtrees(w.reachedAs(UNREAD), carriedNodes, stale, w.read, problem);
    }

    private long[] reachedAs(int how) {
        return reached[how] == null ? new long[0] : reached[how].toArray();
    }

    private void fromSuperblock() throws BtrfsFormatException, BlockReadException {
        Superblock sb = volume.superblock();
        walk(sb.chunkRoot(), sb.chunkRootLevel(), sb.chunkRootGeneration(), true, false, "chunk tree");
        walk(sb.root(), sb.rootLevel(), sb.generation(), false, true, "root tree");
        if (sb.remapRoot() != 0) {
            walk(sb.remapRoot(), sb.remapRootLevel(), Long.MAX_VALUE, false, false, "remap tree");
        }
        if (sb.logRoot() != 0) {
            walk(sb.logRoot(), sb.logRootLevel(), sb.logRootGeneration(), true, true, "log root tree");
        }
    }

    /**
     * Marks the block at {@code bytenr}, reached as {@code level} (-1: unknown) with {@code generation}, as
     * visited; returns whether it is to be read now. A block of the base (and its whole subtree) is skipped unless
     * {@code whole}; a leaf outside scanned trees is carried unread.
     */
    private boolean enter(long bytenr, int level, long generation, boolean whole, boolean roots) {
        if (bytenr == 0 || (!whole && Long.compareUnsigned(generation, baseGeneration) <= 0) || !live.holds(bytenr)) {
            return false;
        }
        boolean leaf = level == 0 && !roots;
        if (!visit(bytenr, (leaf ? UNREAD : 0) | (whole ? WHOLE : 0) | (roots ? ROOTS : 0))) {
            return false;
        }
        if (leaf) {
            carried.add(bytenr);
            unreadLeaves.add(bytenr);
            return false;
        }
        return true;
    }

    /** Whether {@code bytenr} is visited for the first time; in a spread walk, notes a second way of reaching it. */
    private boolean visit(long bytenr, int how) {
        if (seen.add(bytenr)) {
            if (reached != null) {
                (reached[how] == null ? reached[how] = new LongHashSet() : reached[how]).add(bytenr);
            }
            return true;
        }
        if (reached != null && ambiguity == null && (reached[how] == null || !reached[how].contains(bytenr))) {
            ambiguity = "block " + Long.toUnsignedString(bytenr) + " is reached in two ways";
        }
        return false;
    }

    /**
     * Visits the block at {@code bytenr}, which its parent says has {@code level} (-1: unknown) and
     * {@code generation}. In root-tree leaves ({@code roots}), each ROOT_ITEM's tree is walked in turn; in a spread
     * walk's driver part, the trees neither whole nor scanned are left for {@link #waves}.
     */
    private void walk(long bytenr, int level, long generation, boolean whole, boolean roots, String tree)
            throws BtrfsFormatException, BlockReadException {
        if (deferred != null && !whole && !roots) {
            deferred.add(bytenr, level, generation);
            return;
        }
        if (!enter(bytenr, level, generation, whole, roots)) {
            return;
        }
        int nodesize = volume.superblock().nodesize();
        byte[] block = buffers.isEmpty() ? new byte[nodesize] : buffers.pop();
        try {
            BlockReadException failure = volume.readTreeBlocks(bytenr, nodesize, block)[0];
            if (failure != null) {
                throw Trees.named(failure, tree);
            }
            read++;
            visit(bytenr, block, whole, roots, tree);
        } finally {
            buffers.push(block);
        }
    }

    private void visit(long bytenr, byte[] block, boolean whole, boolean roots, String tree)
            throws BtrfsFormatException, BlockReadException {
        if (!whole && Long.compareUnsigned(TreeBlock.generation(block, 0), baseGeneration) <= 0) {
            return;
        }
        carried.add(bytenr);
        int n = (int) TreeBlock.nritems(block, 0);
        int level = TreeBlock.level(block, 0);
        if (level > 0) {
            for (int slot = 0; slot < n; slot++) {
                walk(TreeBlock.childPointer(block, 0, slot), level - 1, TreeBlock.childGeneration(block, 0, slot),
                        whole, roots, tree);
            }
            return;
        }
        if (!roots) {
            return;
        }
        int nodesize = volume.superblock().nodesize();
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemType(block, 0, slot) != Key.ROOT_ITEM) {
                continue;
            }
            if (!TreeBlock.itemInBounds(block, 0, nodesize, slot, n)
                    || !RootItem.hasBytenr(TreeBlock.itemSize(block, 0, slot))) {
                throw new BtrfsFormatException("root item " + TreeBlock.itemKey(block, 0, slot) + " in block "
                        + Long.toUnsignedString(bytenr) + " is truncated or outside its block");
            }
            int data = TreeBlock.itemDataStart(block, 0, slot);
            int rootLevel = RootItem.hasLevel(TreeBlock.itemSize(block, 0, slot)) ? RootItem.level(block, data) : -1;
            walk(RootItem.bytenr(block, data), rootLevel < TreeBlock.MAX_LEVEL ? rootLevel : -1,
                    RootItem.generation(block, data), whole, false,
                    "tree " + Long.toUnsignedString(TreeBlock.itemKey(block, 0, slot).objectid()));
        }
    }

    /** How the waves ended: a problem that calls for the sequential walk (null if none), and where they ran. */
    private record Spread(String problem, String how) {
    }

    /**
     * The walk of trees neither whole nor scanned, breadth first from {@code wave}: each wave's blocks to read are
     * read in one batch, unless {@code spreader} takes them (and everything under them) over.
     */
    private Spread waves(Frontier wave, Spreader spreader) throws BtrfsFormatException, BlockReadException {
        int levels = 0;
        while (true) {
            Frontier reads = new Frontier();
            for (int i = 0; i < wave.size(); i++) {
                if (enter(wave.bytenr(i), wave.level(i), wave.generation(i), false, false)) {
                    reads.add(wave.bytenr(i), wave.level(i), 0);
                }
            }
            if (reads.size() == 0) {
                return new Spread(null, "breadth first on this thread in " + levels + " waves");
            }
            if (spreader != null && reads.size() >= spreader.minNodes()) {
                long[] bytenrs = reads.bytenrs();
                List<Subtrees> results = spreader.walk(live, baseGeneration, bytenrs, reads.levels());
                String how = "breadth first in " + levels + " waves on this thread then " + results.size()
                        + " subtree walks under " + bytenrs.length + " nodes elsewhere";
                return new Spread(merge(results), how);
            }
            Frontier next = new Frontier();
            String[] failed = {null};
            volume.readTreeBlocks(reads.bytenrs(), (i, block, failure) -> {
                if (failure != null) {
                    failed[0] = failed[0] != null ? failed[0] : failure.getMessage();
                    return;
                }
                read++;
                if (Long.compareUnsigned(TreeBlock.generation(block, 0), baseGeneration) <= 0) {
                    return;
                }
                carried.add(reads.bytenr(i));
                int level = TreeBlock.level(block, 0);
                int n = (int) TreeBlock.nritems(block, 0);
                for (int slot = 0; level > 0 && slot < n; slot++) {
                    next.add(TreeBlock.childPointer(block, 0, slot), level - 1,
                            TreeBlock.childGeneration(block, 0, slot));
                }
            });
            if (failed[0] != null) {
                return new Spread(failed[0], "breadth first on this thread");
            }
            wave = next;
            levels++;
        }
    }

    /** Adds the subtree walks' findings as if they were this walk's; returns the first problem, if any. */
    private String merge(List<Subtrees> results) {
        String problem = null;
        for (Subtrees s : results) {
            read += s.blocksRead();
            if (s.problem() != null) {
                problem = problem != null ? problem : s.problem();
                continue;
            }
            for (long b : s.leaves()) {
                if (visit(b, UNREAD)) {
                    carried.add(b);
                    unreadLeaves.add(b);
                }
            }
            for (long b : s.nodes()) {
                visit(b, 0);
                carried.add(b);
            }
            for (long b : s.stale()) {
                visit(b, 0);
            }
        }
        return problem;
    }

    /** Blocks reached and not yet visited, with the level their parent claims and the generation it gives. */
    private static final class Frontier {
        private long[] bytenrs = new long[64];
        private int[] levels = new int[64];
        private long[] generations = new long[64];
        private int size;

        void add(long bytenr, int level, long generation) {
            if (size == bytenrs.length) {
                bytenrs = Arrays.copyOf(bytenrs, size * 2);
                levels = Arrays.copyOf(levels, size * 2);
                generations = Arrays.copyOf(generations, size * 2);
            }
            bytenrs[size] = bytenr;
            levels[size] = level;
            generations[size++] = generation;
        }

        int size() {
            return size;
        }

        long bytenr(int i) {
            return bytenrs[i];
        }

        int level(int i) {
            return levels[i];
        }

        long generation(int i) {
            return generations[i];
        }

        long[] bytenrs() {
            return Arrays.copyOf(bytenrs, size);
        }

        int[] levels() {
            return Arrays.copyOf(levels, size);
        }
    }
}
