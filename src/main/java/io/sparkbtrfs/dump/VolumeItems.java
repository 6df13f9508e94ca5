package io.sparkbtrfs.dump;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.format.Zeros;

/**
 * Items as a dump reads them from the source: tree blocks scrubbed (and their names sanitized), the superblock as
 * opened (label cleared when sanitizing), data extents as read, records of a delta image from the plan itself.
 * With best effort, a block that fails on every copy is salvaged and reported.
 */
final class VolumeItems implements ItemSource {
    private final Volume volume;
    private final ItemPlan plan;
    private final DumpSettings settings;
    private final BlockScrubber scrubber;
    private final LeafItemTransform transform;
    private final int nodesize;
    private final io.sparkbtrfs.format.SystemRanges system;
    private final List<BlockProblem> problems = new ArrayList<>();
    private byte[] scratch = new byte[0];
    /** Remote devices: items read ahead a window at a time; null where positional reads are cheap (local files). */
    private final ItemPrefetch prefetch;
    /** The item after the last of the part being written (the read-ahead stops there). */
    private int partEnd;
    /** Items asked for in this order rather than a part's plan order ({@link #beginSequence}), or null. */
    private int[] sequence;
    /** The position in {@link #sequence} of the next item asked for. */
    private int cursor;

    VolumeItems(Volume volume, ItemPlan plan, DumpSettings settings) {
        this(volume, plan, settings, null);
    }

    /** With the plan's items read ahead into {@code spill} (shared by the parts of an in-process dump), or null. */
    VolumeItems(Volume volume, ItemPlan plan, DumpSettings settings, ItemSpill spill) {
        this.volume = volume;
        this.plan = plan;
        this.settings = settings;
        this.nodesize = volume.superblock().nodesize();
        this.system = io.sparkbtrfs.format.SystemRanges.of(volume.superblock());
        this.transform = settings.transform().forTask();
        this.scrubber = new BlockScrubber(nodesize, volume.superblock().checksumType(), transform);
        this.prefetch = volume.prefersBatches() ? new ItemPrefetch(volume, plan, spill) : null;
    }

    @Override
    public void beginPart(int endItem) {
        partEnd = endItem;
        if (sequence != null && prefetch != null) {
            prefetch.follow(null);
        }
        sequence = null;
    }

    /**
     * Items will be asked for in the order of {@code items} (each once; a producer of an exchange, which takes them
     * by address): the read-ahead follows that order.
     */
    void beginSequence(int[] items) {
        sequence = items;
        cursor = 0;
        if (prefetch != null) {
            prefetch.follow(items);
        }
    }

    @Override
    public io.sparkbtrfs.device.ReadCounts readCounts() {
        return volume.readCounts();
    }

    @Override
    public Object taskStats() {
        return transform.taskStats();
    }

    @Override
    public List<BlockProblem> problems() {
        return problems;
    }

    @Override
    public byte[] contentInto(int i) throws IOException {
        int position = sequence == null ? i : cursor < sequence.length && sequence[cursor] == i ? cursor++ : -1;
        long start = plan.start(i);
        int length = plan.length(i);
        switch (plan.kind(i)) {
            case ItemPlan.SUPERBLOCK: {
                byte[] sb = volume.rawPrimarySuperblock();
                if (sb.length != length) {
                    throw new BlockReadException(start, "superblock item of " + length + " bytes");
                }
                if (settings.clearLabel()) {
                    Superblock.clearLabel(sb);
                    volume.superblock().checksumType().store(sb, 0, sb.length);
                }
                return sb;
            }
            case ItemPlan.METADATA: {
                byte[] buf = scratch = PartWriter.atLeast(scratch, length);
                BlockReadException[] failures = prefetched(position, buf) ? volume.validateTreeBlocks(start, length, buf, true)
                        : volume.readTreeBlocks(start, length, buf);
                for (int b = 0, off = 0; off < length; b++, off += nodesize) {
                    if (failures[b] != null) {
                        if (!settings.bestEffort()) {
                            throw failures[b];
                        }
                        Zeros.fill(buf, off, off + nodesize);
                        salvage(start + off, failures[b].getMessage(), buf, off);
                        continue;
                    }
                    if (plan.mustBeLeaf(i, off) && TreeBlock.level(buf, off) != 0) {
                        notALeaf(start + off, buf, off);
                    }
                    if (system.intersects(start + off, nodesize) && TreeBlock.owner(buf, off) != Key.CHUNK_TREE_OBJECTID) {
                        misplaced(start + off, TreeBlock.owner(buf, off));
                    }
                    scrubber.scrub(buf, off);
                }
                return buf;
            }
            case ItemPlan.DATA: {
                byte[] buf = scratch = PartWriter.atLeast(scratch, length);
                if (!prefetched(position, buf)) {
                    volume.readLogical(start, buf, 0, length);
                }
                return buf;
            }
            case ItemPlan.RECORD:
                return plan.record(i);
            default:
                throw new BlockReadException(start, "unknown item kind " + plan.kind(i));
        }
    }

    /**
     * A sound block of another tree inside a system chunk (the chunk map is damaged: a fuzzed system chunk
     * that overlaps the others). Every restore takes such a block for a chunk-tree block and fails, so the
     * default dump refuses rather than exit 0 with an image that cannot be restored; best effort keeps it
     * and says so.
     */
    private void misplaced(long logical, long owner) throws BlockReadException {
        String reason = "lies in a system chunk: a restore reads every block of a system chunk as part of the chunk tree";
        if (!settings.bestEffort()) {
            throw new BlockReadException(logical, "metadata block " + Long.toUnsignedString(logical) + " of tree " + owner
                    + " " + reason + ", so the image would not restore; the chunk map is damaged (dump with "
                    + "--best-effort to keep the block anyway)");
        }
        problems.add(new BlockProblem(logical, "tree " + owner, reason, "dumped as read: the image will not restore"));
    }

    /**
     * A block that fails on every copy: kept as read so that the damage stays visible (never re-checksummed),
     * or left zero if unreadable, or when names must not leak (sanitizing: an unparsable block cannot be
     * scrubbed).
     */
    private void salvage(long logical, String reason, byte[] buf, int off) {
        byte[] raw = volume.readRawBlock(logical);
        String tree = raw == null ? "unknown tree" : treeOf(TreeBlock.owner(raw, 0));
        String action;
        Superblock sb = volume.superblock();
        if (raw == null) {
            action = "not readable: zeroed in the image";
        } else if (TreeBlock.validate(raw, 0, nodesize, logical, sb.checksumType(), sb.metadataFsid()) == null) {
            // Only too new (the source changed): a sound block, scrubbed (and sanitized) like any other.
            System.arraycopy(raw, 0, buf, off, nodesize);
            scrubber.scrub(buf, off);
            action = "dumped as read (scrubbed)";
        } else if (settings.clearLabel()) {
            action = "zeroed in the image (sanitizing: an invalid block cannot be scrubbed)";
        } else {
            System.arraycopy(raw, 0, buf, off, nodesize);
            action = "dumped as read";
        }
        problems.add(new BlockProblem(logical, tree, reason, action));
    }

    /**
     * Whether the item at {@code position} of the order asked for (plan order: the item; -1: out of the order
     * followed) came from the read-ahead (its first copy, unchecked) into {@code buf}.
     */
    private boolean prefetched(int position, byte[] buf) {
        int end = sequence == null ? partEnd : sequence.length;
        return prefetch != null && position >= 0 && position < end && prefetch.copy(position, end, buf);
    }

    /**
     * A valid block that a walk planned as a leaf, on its parent's word, is not one: the dump fails as the walk
     * would have failed reading it; with best effort it is dumped, as the walk dumps a block of the wrong level,
     * and its pointers are not followed (the plan is made).
     */
    private void notALeaf(long logical, byte[] buf, int off) throws BlockReadException {
        String why = "tree block " + Long.toUnsignedString(logical) + " has level " + TreeBlock.level(buf, off)
                + ", expected 0 (its parent points to a leaf)";
        if (!settings.bestEffort()) {
            throw new BlockReadException(logical, why);
        }
        problems.add(new BlockProblem(logical, treeOf(TreeBlock.owner(buf, off)), why, "dumped, not followed"));
    }

    @Override
    public void close() {
        if (prefetch != null) {
            prefetch.close();
        }
    }

    /** The owner field of a damaged block, if it is plausible at all. */
    private static String treeOf(long owner) {
        return TreeBlock.plausibleOwner(owner) ? "tree " + owner + " (per its header)" : "unknown tree";
    }
}
