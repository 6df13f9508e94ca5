package io.sparkbtrfs.dump;

import java.io.Serializable;
import java.util.Arrays;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.ExtentItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * The reference's pass over extent-tree items (spec §3.3) for a run of leaves: which items are tree blocks
 * to dump, and the overlap cursor (items starting below the end of the last counted extent are ignored).
 *
 * <p>Runs of leaves can be scanned independently (on executors): each run starts with the lowest
 * possible cursor and reports its first candidate item. The true cursor entering a run only matters if it
 * lies beyond that first candidate (an extent overlapping the run's start, which a healthy filesystem
 * never has); {@link Planner} rescans such a run with the true cursor, so the result is always the
 * sequential one.
 */
public final class ExtentScan {
    /** Where the scan starts: key (69632, EXTENT_ITEM, 0), the first byte after the primary superblock. */
    public static final long FIRST_BYTENR = Superblock.PRIMARY_OFFSET + Superblock.SIZE;
    static final Key FROM = new Key(FIRST_BYTENR, Key.EXTENT_ITEM, 0);
    /** {@link Result#firstCandidate()} of a run without candidate items. */
    public static final long NONE = -1;

    private ExtentScan() {
    }

    /** Scans runs of the leaves, each from {@link #FIRST_BYTENR}; returns the results in leaf order. */
    @FunctionalInterface
    public interface Scanner {
        java.util.List<Result> scan(long[] leaves) throws BtrfsFormatException, BlockReadException;

        /** What the scans so far cost reading the source in other JVMs (executors); none for scans in this one. */
        default io.sparkbtrfs.device.ReadCounts otherJvmReads() {
            return io.sparkbtrfs.device.ReadCounts.NONE;
        }
    }

    /** All leaves as one run, on this thread. */
    public static Scanner local(Volume volume) {
        return leaves -> java.util.List.of(scan(volume, leaves, 0, leaves.length, FIRST_BYTENR));
    }

    /**
     * Runs of {@code perRun} leaves scanned on {@code threads} threads of this JVM (what executors do for huge
     * extent trees, without Spark); below {@code minLeaves} leaves, one run on this thread.
     */
    public static Scanner parallel(Volume volume, int threads, int minLeaves, int perRun) {
        return leaves -> {
            if (leaves.length < minLeaves || threads <= 1) {
                return local(volume).scan(leaves);
            }
            int[] bounds = runs(leaves.length, perRun);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads,
                    r -> {
                        Thread t = new Thread(r, "extent-scan");
                        t.setDaemon(true);
                        return t;
                    });
            try {
                java.util.List<java.util.concurrent.Future<Result>> futures = new java.util.ArrayList<>();
                for (int i = 0; i + 1 < bounds.length; i++) {
                    int from = bounds[i];
                    int to = bounds[i + 1];
                    futures.add(pool.submit(() -> scan(volume, leaves, from, to, FIRST_BYTENR)));
                }
                java.util.List<Result> results = new java.util.ArrayList<>();
                for (java.util.concurrent.Future<Result> f : futures) {
                    results.add(f.get());
                }
                return results;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BlockReadException(leaves[0], "interrupted while scanning the extent tree");
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof BlockReadException b) {
                    throw b;
                }
                if (e.getCause() instanceof BtrfsFormatException b) {
                    throw b;
                }
                throw new IllegalStateException(e.getCause());
            } finally {
                pool.shutdownNow();
            }
        };
    }

    /** Leaf index bounds of runs of about {@code perRun} leaves. */
    public static int[] runs(int leaves, int perRun) {
        int count = Math.max(1, (leaves + perRun - 1) / perRun);
        int[] bounds = new int[count + 1];
        for (int i = 0; i <= count; i++) {
            bounds[i] = (int) ((long) leaves * i / count);
        }
        return bounds;
    }

    /**
     * Feeds the runs' tree blocks to {@code plan} in order, exactly as one sequential scan would: a run whose
     * first candidate lies below the cursor left by the runs before it is scanned again with that cursor. Returns
     * whether the whole scan was plain ({@link Result#plain}).
     */
    static boolean resolve(Volume volume, long[] leaves, java.util.List<Result> runs, PlanBuilder plan)
            throws BtrfsFormatException, BlockReadException {
        boolean plain = true;
        int nodesize = volume.superblock().nodesize();
        long cursor = FIRST_BYTENR;
        int expected = 0;
        for (Result run : runs) {
            if (run.from() != expected || run.to() < run.from() || run.to() > leaves.length) {
                throw new IllegalStateException("extent scan runs out of order at leaf " + run.from());
            }
            expected = run.to();
            Result exact = run;
            if (run.firstCandidate() != NONE && Long.compareUnsigned(cursor, run.firstCandidate()) > 0) {
                exact = scan(volume, leaves, run.from(), run.to(), cursor);
                plain = false; // its first candidate overlaps the extent before it
            }
            exact.rethrow();
            plain &= exact.plain();
            exact.addTo(plan, nodesize);
            if (exact.firstCandidate() != NONE) {
                cursor = exact.finalCursor();
            }
        }
        if (expected != leaves.length) {
            throw new IllegalStateException("extent scan runs end at leaf " + expected + " of " + leaves.length);
        }
        return plain;
    }

    /**
     * What a run of leaves contributes. {@code blocks} holds pairs (start, length) of tree-block extents in
     * order, where a negative length {@code -k} stands for k contiguous blocks of nodesize (compact: the
     * driver collects these for every tree block of the filesystem). {@code error} is the first failure
     * (the scan stops there), with {@code readError} telling a read failure (at {@code errorLogical}) from
     * a format error. {@code plain}: the run skipped no extent item (none overlapped the one before) and every tree
     * block extent was one block of nodesize, so that its tree blocks are exactly its tree-block items' keys.
     */
    public record Result(int from, int to, long[] blocks, int pairs, long firstCandidate, long finalCursor,
            String error, long errorLogical, boolean readError, boolean plain) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Submits the tree blocks in order to {@code plan}. */
        void addTo(PlanBuilder plan, int nodesize) {
            for (int i = 0; i < pairs; i++) {
                long start = blocks[2 * i];
                long length = blocks[2 * i + 1];
                if (length < 0) {
                    for (long k = 0; k < -length; k++) {
                        plan.add(start + k * nodesize, nodesize, false);
                    }
                } else {
                    plan.add(start, length, false);
                }
            }
        }

        /** Throws the recorded failure, if any. */
        void rethrow() throws BtrfsFormatException, BlockReadException {
            if (error != null) {
                if (readError) {
                    throw new BlockReadException(errorLogical, error);
                }
                throw new BtrfsFormatException(error);
            }
        }
    }

    /** Scans leaves {@code [from, to)} of {@code leaves} (extent-tree leaf addresses in key order). */
    public static Result scan(Volume volume, long[] leaves, int from, int to, long cursor) {
        return scan(volume::readTreeBlocks, volume.superblock().nodesize(), leaves, from, to, cursor);
    }

    /** As {@link #scan(Volume, long[], int, int, long)}, the run's leaves read through {@code reader} as one batch. */
    static Result scan(io.sparkbtrfs.device.Trees.BatchReader reader, int nodesize, long[] leaves, int from, int to,
            long cursorIn) {
        Run run = new Run(nodesize, from, to, cursorIn);
        try {
            reader.read(Arrays.copyOfRange(leaves, from, to), (i, leaf, failure) -> run.leaf(leaves[from + i], leaf,
                    failure));
        } catch (BtrfsFormatException | BlockReadException e) {
            run.fail(e.getMessage(), e instanceof BlockReadException b ? b.logical() : 0, e instanceof BlockReadException);
        }
        return run.result();
    }

    /** The state of one run's scan; after the first failure the run's remaining leaves are ignored. */
    private static final class Run {
        private final int nodesize;
        private final Collector out;
        private long cursor;
        private long firstCandidate = NONE;
        private boolean plain = true;
        private Result failed;

        Run(int nodesize, int from, int to, long cursor) {
            this.nodesize = nodesize;
            this.out = new Collector(nodesize, from, to);
            this.cursor = cursor;
        }

        void fail(String error, long errorLogical, boolean readError) {
            if (failed == null) {
                failed = out.result(firstCandidate, cursor, error, errorLogical, readError, false);
            }
        }

        Result result() {
            return failed != null ? failed : out.result(firstCandidate, cursor, null, 0, false, plain);
        }

        void leaf(long bytenr, byte[] leaf, BlockReadException failure) {
            if (failed != null) {
                return;
            }
            if (failure != null) {
                BlockReadException e = io.sparkbtrfs.device.Trees.named(failure, "extent tree");
                fail(e.getMessage(), e.logical(), true);
                return;
            }
            String notLeaf = io.sparkbtrfs.device.Trees.levelProblem("extent tree", bytenr, TreeBlock.level(leaf, 0), 0);
            if (notLeaf != null) {
                fail(notLeaf, 0, false);
                return;
            }
            int n = (int) TreeBlock.nritems(leaf, 0);
            for (int slot = 0; slot < n; slot++) {
                Key key = TreeBlock.itemKey(leaf, 0, slot);
                if (key.compareTo(FROM) < 0 || (key.type() != Key.EXTENT_ITEM && key.type() != Key.METADATA_ITEM)) {
                    continue;
                }
                if (firstCandidate == NONE) {
                    firstCandidate = key.objectid();
                }
                if (Long.compareUnsigned(key.objectid(), cursor) < 0) {
                    plain = false;
                    continue;
                }
                long length = key.type() == Key.METADATA_ITEM ? nodesize : key.offset();
                String bad = null;
                if (length == 0) {
                    bad = "extent length 0 at bytenr " + Long.toUnsignedString(key.objectid()) + " key type " + key.type();
                } else if (!TreeBlock.itemInBounds(leaf, 0, nodesize, slot, n)) {
                    bad = where(key, leaf) + ": item data lies outside the block";
                } else if (TreeBlock.itemSize(leaf, 0, slot) < ExtentItem.SIZE) {
                    bad = where(key, leaf) + ": either extent tree is corrupted or deprecated extent ref format";
                }
                if (bad != null) {
                    fail(bad, 0, false);
                    return;
                }
                long flags = ExtentItem.flags(leaf, TreeBlock.itemDataStart(leaf, 0, slot));
                if ((flags & ExtentItem.FLAG_TREE_BLOCK) != 0) {
                    if (length % nodesize != 0 || length > MetadumpFormat.MAX_PENDING_V0) {
                        fail(where(key, leaf) + ": tree block extent of " + Long.toUnsignedString(length)
                                + " bytes (nodesize "
                                + nodesize + ")", 0, false);
                        return;
                    }
                    plain &= length == nodesize;
                    out.add(key.objectid(), length);
                }
                cursor = key.objectid() + length;
            }
        }
    }

    /** Names an extent item in messages (built only for them: the scan passes every item of the extent tree). */
    private static String where(Key key, byte[] leaf) {
        return "extent item " + key + " in block " + Long.toUnsignedString(TreeBlock.bytenr(leaf, 0));
    }

    /** Tree-block extents as compact pairs, contiguous nodesize blocks folded into runs. */
    private static final class Collector {
        private final int nodesize;
        private final int from;
        private final int to;
        private long[] pairs = new long[64];
        private int n;

        Collector(int nodesize, int from, int to) {
            this.nodesize = nodesize;
            this.from = from;
            this.to = to;
        }

        void add(long start, long length) {
            if (length == nodesize && n > 0) {
                long lastStart = pairs[2 * n - 2];
                long lastLength = pairs[2 * n - 1];
                long blocks = lastLength < 0 ? -lastLength : lastLength == nodesize ? 1 : 0;
                if (blocks > 0 && lastStart + blocks * nodesize == start) {
                    pairs[2 * n - 1] = -(blocks + 1);
                    return;
                }
            }
            if (2 * n + 2 > pairs.length) {
                pairs = Arrays.copyOf(pairs, pairs.length * 2);
            }
            pairs[2 * n] = start;
            pairs[2 * n + 1] = length;
            n++;
        }

        Result result(long firstCandidate, long cursor, String error, long errorLogical, boolean readError,
                boolean plain) {
            return new Result(from, to, Arrays.copyOf(pairs, 2 * n), n, firstCandidate, cursor, error, errorLogical,
                    readError, plain);
        }
    }
}
