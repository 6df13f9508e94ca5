package io.sparkbtrfs.dump;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.Trees;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeRoot;

/**
 * Whether a plan holds every root block the image needs to open ({@link TreeRoot}). A plan made from the
 * extent tree lacks one when the extent tree was read at another moment than the superblock (the source
 * changed) or does not list that tree (a tree kept outside it, such as btrfs-progs 6.19's experimental
 * remap tree).
 */
final class RootCoverage {
    private RootCoverage() {
    }

    /** Every root the superblock and the root tree reference (reads the root tree's leaves). */
    static List<TreeRoot> roots(Volume volume) throws BtrfsFormatException, BlockReadException {
        Superblock sb = volume.superblock();
        int nodesize = sb.nodesize();
        List<TreeRoot> roots = new ArrayList<>(TreeRoot.fromSuperblock(sb));
        Trees.forEachLeaf(volume::readTreeBlocks, sb.root(), sb.rootLevel(), "root tree",
                (leaf, n) -> TreeRoot.fromRootTreeLeaf(leaf, 0, nodesize, n, roots));
        return roots;
    }

    /** The roots that no metadata item of {@code plan} covers, in address order, each address once. */
    static List<TreeRoot> missing(ItemPlan plan, List<TreeRoot> roots) {
        TreeRoot[] sorted = roots.toArray(new TreeRoot[0]);
        Arrays.sort(sorted, Comparator.comparing(TreeRoot::bytenr, Long::compareUnsigned));
        long[] at = new long[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            at[i] = sorted[i].bytenr();
        }
        boolean[] covered = new boolean[sorted.length];
        for (int i = 0; i < plan.items(); i++) {
            if (plan.kind(i) != ItemPlan.METADATA) {
                continue;
            }
            long start = plan.start(i);
            for (int r = io.sparkbtrfs.format.UnsignedSearch.lowerBound(at, start); r < at.length
                    && Long.compareUnsigned(at[r] - start, plan.length(i)) < 0; r++) {
                covered[r] = true;
            }
        }
        List<TreeRoot> out = new ArrayList<>();
        for (int r = 0; r < sorted.length; r++) {
            if (!covered[r] && (out.isEmpty() || out.get(out.size() - 1).bytenr() != sorted[r].bytenr())) {
                out.add(sorted[r]);
            }
        }
        return out;
    }
}
