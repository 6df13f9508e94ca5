package io.sparkbtrfs.restore;

import java.util.ArrayList;
import java.util.List;

import io.sparkbtrfs.device.LongHashSet;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.format.TreeRoot;

/**
 * Whether an image holds the root blocks the filesystem needs to open ({@link TreeRoot}): the chunk, tree
 * and log roots of its superblock, and the root of every tree that the root-tree leaves in the image have
 * a ROOT_ITEM for. Fed every tree block of the image as it streams past (restore phase 2, verify), so it
 * costs one set entry per block and no extra pass.
 *
 * <p>A block counts as present when its header names its own address (cheap enough for restore, which
 * does not verify checksums; verify passes only blocks it validated). A block whose header names another
 * address (zeroed, unreadable or garbage) is only ever written by a {@code --best-effort} dump: an image
 * holding one is taken as such a dump, which may legitimately lack roots (see {@link #bestEffortDump}).
 * Thread-safe.
 */
public final class ImageCompleteness {
    private final Superblock sb;
    private final LongHashSet present = new LongHashSet();
    private final List<TreeRoot> roots;
    private long misplaced;

    public ImageCompleteness(Superblock sb) {
        this.sb = sb;
        this.roots = new ArrayList<>(TreeRoot.fromSuperblock(sb));
    }

    /**
     * Records the tree blocks of {@code b[off .. off+len)}, whole blocks of a metadata or system chunk
     * starting at {@code logical}.
     */
    public void blocks(long logical, byte[] b, int off, int len) {
        Batch batch = new Batch(len / sb.nodesize());
        for (int at = 0; at + sb.nodesize() <= len; at += sb.nodesize()) {
            batch.add(logical + at, b, off + at);
        }
        record(batch);
    }

    /**
     * As {@link #blocks(long, byte[], int, int)} for {@code buf}'s remaining bytes (a direct buffer, left
     * unchanged): only each block's header is copied out, and the whole block for root-tree leaves (few).
     */
    public void blocks(long logical, java.nio.ByteBuffer buf) {
        int nodesize = sb.nodesize();
        Batch batch = new Batch(buf.remaining() / nodesize);
        byte[] header = new byte[TreeBlock.HEADER_SIZE];
        for (int at = 0; at + nodesize <= buf.remaining(); at += nodesize) {
            buf.get(buf.position() + at, header);
            byte[] b = header;
            if (TreeBlock.owner(header, 0) == TreeRoot.ROOT_TREE_OBJECTID && TreeBlock.level(header, 0) == 0) {
                b = new byte[nodesize];
                buf.get(buf.position() + at, b);
            }
            batch.add(logical + at, b, 0);
        }
        record(batch);
    }

    /** What one piece holds, gathered without the lock. */
    private final class Batch {
        final long[] here;
        final List<TreeRoot> found = new ArrayList<>();
        int n;
        int wrong;

        Batch(int blocks) {
            here = new long[blocks];
        }

        void add(long address, byte[] b, int off) {
            if (TreeBlock.bytenr(b, off) != address) {
                wrong++;
                return;
            }
            here[n++] = address;
            collectRoots(b, off, found);
        }
    }

    private synchronized void record(Batch batch) {
        for (int i = 0; i < batch.n; i++) {
            present.add(batch.here[i]);
        }
        roots.addAll(batch.found);
        misplaced += batch.wrong;
    }

    /** Records one validated tree block (verify). */
    public synchronized void validBlock(byte[] b, int off) {
        present.add(TreeBlock.bytenr(b, off));
        collectRoots(b, off, roots);
    }

    /** Records one block that failed validation (verify): evidence of a {@code --best-effort} dump. */
    public synchronized void invalidBlock() {
        misplaced++;
    }

    /** ROOT_ITEMs of a root-tree leaf of this filesystem state (a newer one is not: the source was changing). */
    private void collectRoots(byte[] b, int off, List<TreeRoot> out) {
        if (TreeBlock.owner(b, off) != TreeRoot.ROOT_TREE_OBJECTID || TreeBlock.level(b, off) != 0
                || TreeBlock.newerThan(b, off, sb) != null) {
            return;
        }
        long n = TreeBlock.nritems(b, off);
        if (n <= TreeBlock.maxItems(sb.nodesize(), 0)) {
            TreeRoot.fromRootTreeLeaf(b, off, sb.nodesize(), (int) n, out);
        }
    }

    /** The roots not in the image, each address once, in the order they were learnt. */
    public synchronized List<TreeRoot> missing() {
        List<TreeRoot> out = new ArrayList<>();
        LongHashSet reported = new LongHashSet();
        for (TreeRoot r : roots) {
            if (!present.contains(r.bytenr()) && reported.add(r.bytenr())) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Whether the image holds a block that is not a valid tree block of its address, which only a
     * {@code --best-effort} dump writes (a block that failed on every copy, dumped as read or zeroed). Such
     * an image may lack roots because the source lacked them.
     */
    public synchronized boolean bestEffortDump() {
        return misplaced > 0;
    }
}
