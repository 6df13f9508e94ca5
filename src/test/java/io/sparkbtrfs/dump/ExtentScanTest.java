package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.device.Trees;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Scanning the extent tree's leaves in independent runs (as executors do) gives exactly the plan of one
 * sequential scan, however the leaves are split, including when an extent overlaps the start of a run.
 */
class ExtentScanTest {
    @TempDir
    static Path dir;
    static Path fs;

    @BeforeAll
    static void build() throws IOException {
        Path tree = dir.resolve("tree");
        TreeGenerator.withSeed(77).fileCount(5000).mediumFraction(0.5).generate(tree);
        fs = Mkfs.image(dir.resolve("fs.img")).size(512L << 20).nodesize(4096).metadata("single").rootdir(tree).run();
    }

    /** Runs of {@code perRun} leaves, each scanned on its own from the lowest cursor. */
    private static ExtentScan.Scanner split(Volume v, int perRun) {
        return leaves -> {
            int[] b = ExtentScan.runs(leaves.length, perRun);
            List<ExtentScan.Result> out = new ArrayList<>();
            for (int i = 0; i + 1 < b.length; i++) {
                out.add(ExtentScan.scan(v, leaves, b[i], b[i + 1], ExtentScan.FIRST_BYTENR));
            }
            return out;
        };
    }

    private static void assertSamePlan(ItemPlan want, ItemPlan got, String what) {
        assertEquals(want.items(), got.items(), what);
        for (int i = 0; i < want.items(); i++) {
            assertEquals(want.start(i), got.start(i), what + " item " + i);
            assertEquals(want.length(i), got.length(i), what + " item " + i);
            assertEquals(want.kind(i), got.kind(i), what + " item " + i);
        }
    }

    private static long[] leaves(Volume v) throws Exception {
        // The extent tree's root from the root tree (objectid 2).
        long[][] found = {null};
        Trees.forEachLeaf(v::readTreeBlock, v.superblock().root(), v.superblock().rootLevel(), "root tree", (leaf, n) -> {
            for (int s = 0; s < n; s++) {
                Key k = TreeBlock.itemKey(leaf, 0, s);
                if (k.objectid() == Key.EXTENT_TREE_OBJECTID && k.type() == 132) {
                    int d = TreeBlock.itemDataStart(leaf, 0, s);
                    found[0] = new long[] {LittleEndian.u64(leaf, d + 176), LittleEndian.u8(leaf, d + 238)};
                }
            }
        });
        long[] root = found[0];
        return Trees.leavesFrom(v::readTreeBlock, root[0], (int) root[1], "extent tree", ExtentScan.FROM);
    }

    @Test
    void everySplitOfTheLeavesGivesTheSequentialPlan() throws Exception {
        try (Volume v = Volume.open(List.of(fs.toString()), new Configuration())) {
            long[] leaves = leaves(v);
            assertTrue(leaves.length >= 8, "fixture extent tree has only " + leaves.length + " leaves");
            ItemPlan sequential = Planner.plan(v, false);
            for (int perRun : new int[] {1, 2, 3, 7, leaves.length}) {
                assertSamePlan(sequential, Planner.plan(v, false, split(v, perRun)), perRun + " leaves per run");
            }
        }
    }

    @Test
    void anExtentOverlappingTheNextRunIsResolvedAsSequentially(@TempDir Path tmp) throws Exception {
        Path copy = Files.copy(fs, tmp.resolve("overlap.img"), StandardCopyOption.REPLACE_EXISTING);
        try (Volume v = Volume.open(List.of(copy.toString()), new Configuration())) {
            long[] leaves = leaves(v);
            // Stretch the last extent item of a middle leaf over the first items of the next leaf: a
            // sequential scan then skips them, and so must a run starting at that next leaf.
            int l = leaves.length / 2;
            byte[] leaf = v.readTreeBlock(leaves[l]);
            byte[] next = v.readTreeBlock(leaves[l + 1]);
            int n = (int) TreeBlock.nritems(leaf, 0);
            Key last = TreeBlock.itemKey(leaf, 0, n - 1);
            Key third = TreeBlock.itemKey(next, 0, Math.min(2, (int) TreeBlock.nritems(next, 0) - 1));
            assertEquals(168, last.type(), "last item of leaf " + l + ": " + last);
            long stretched = third.objectid() - last.objectid() + 1;
            int keyOffsetField = TreeBlock.HEADER_SIZE + TreeBlock.ITEM_SIZE * (n - 1) + 9;
            LittleEndian.put64(leaf, keyOffsetField, stretched);
            v.superblock().checksumType().store(leaf, 0, leaf.length);
            ChunkItem chunk = v.chunkMap().find(leaves[l]);
            try (RandomAccessFile raf = new RandomAccessFile(copy.toFile(), "rw")) {
                for (int m = 0; m < chunk.copies(); m++) {
                    raf.seek(chunk.locate(leaves[l], m).physical());
                    raf.write(leaf);
                }
            }
        }
        try (Volume v = Volume.open(List.of(copy.toString()), new Configuration())) {
            ItemPlan sequential = Planner.plan(v, false);
            long[] leaves = leaves(v);
            int middle = leaves.length / 2 + 1;
            // The run starting at the overlapped leaf really begins below the cursor left by the run before.
            ExtentScan.Result first = ExtentScan.scan(v, leaves, 0, middle, ExtentScan.FIRST_BYTENR);
            ExtentScan.Result second = ExtentScan.scan(v, leaves, middle, leaves.length, ExtentScan.FIRST_BYTENR);
            assertTrue(Long.compareUnsigned(first.finalCursor(), second.firstCandidate()) > 0,
                    first.finalCursor() + " vs " + second.firstCandidate());
            // One run boundary exactly at the overlapped leaf, and every other split too.
            ExtentScan.Scanner atBoundary = ls -> List.of(
                    ExtentScan.scan(v, ls, 0, middle, ExtentScan.FIRST_BYTENR),
                    ExtentScan.scan(v, ls, middle, ls.length, ExtentScan.FIRST_BYTENR));
            assertSamePlan(sequential, Planner.plan(v, false, atBoundary), "boundary at the overlapped leaf");
            for (int perRun : new int[] {1, 2, 5}) {
                assertSamePlan(sequential, Planner.plan(v, false, split(v, perRun)), perRun + " leaves per run");
            }
        }
    }
}
