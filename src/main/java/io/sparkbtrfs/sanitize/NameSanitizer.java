package io.sparkbtrfs.sanitize;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.sparkbtrfs.dump.LeafItemTransform;
import io.sparkbtrfs.format.Crc32c;
import io.sparkbtrfs.format.DirItem;
import io.sparkbtrfs.format.InodeItem;
import io.sparkbtrfs.format.InodeRef;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.RootItem;
import io.sparkbtrfs.format.Zeros;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Replaces every name in every name-bearing item (DIR_ITEM, DIR_INDEX, XATTR_ITEM, INODE_REF,
 * INODE_EXTREF, ROOT_REF, ROOT_BACKREF; all entries of multi-entry items), zeroes xattr values and data
 * checksum items. The substitute of a name is a pure function of the name and the dump's secret, so
 * every executor and every item agrees on it without coordination: {@code -s} gives printable garbage,
 * {@code -ss} a name with the same length and the same name hash ({@link CollisionSolver}). "." and "..", the
 * root tree's "default" entry and the names of xattr namespaces other than {@code user.} are kept.
 *
 * <p>With {@code -ss}, a name of 1..4 bytes (after {@code user.} for xattrs) has no other name of its length with
 * its hash: it gets a substitute whose hash lies in the same cell of the {@link KeyBoundaries} of its directory
 * (for xattrs: of its inode), so that the substitute is a pure function of the name, the cell and the secret, the
 * same wherever the name occurs; its DIR_ITEM, XATTR_ITEM or INODE_EXTREF is re-keyed to the new hash, the leaf
 * re-sorted ({@link LeafRekey}), and the parents of a leaf whose first key moves get the new key
 * ({@link #node}). Where that cannot be done, the name keeps its key with a mismatched hash (counted).
 */
public final class NameSanitizer implements LeafItemTransform {
    private static final long serialVersionUID = 2L;

    private static final byte[] USER = "user.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEFAULT = "default".getBytes(StandardCharsets.US_ASCII);
    private static final int CACHE_LIMIT = 1 << 13;
    /** Second half of the 128-bit SipHash key; the first is the secret. */
    private static final long KEY1 = 0x5EC2E7B7F5A1D3C9L;
    private static final long HASHES = 1L << 32;

    /** What {@link #substitute} did, as far as keys are concerned. */
    private static final int PLAIN = 0;
    /** A short name whose hash moved within its cell: the item it keys moves too. */
    private static final int REKEYED = 1;
    /** A short name whose substitute's hash does not match the key it stays under. */
    private static final int KEPT_KEY = 2;

    private final boolean collisions;
    private final long secret;
    private final KeyBoundaries boundaries;
    private transient NameCache cache;
    private transient SplitMix rng;
    private transient ShortNames shortNames;
    private transient LeafRekey rekey;
    /** Entries of the current leaf waiting for {@link #finishLeaf} to move them. */
    private transient int pendingRekeys;
    /** Per-task scratch: the name being substituted and its substitute (names are at most 255 bytes). */
    private transient byte[] nameBuf = new byte[256];
    private transient byte[] subBuf = new byte[256];
    private transient SanitizeStats stats;

    public NameSanitizer(boolean collisions, long secret) {
        this(collisions, secret, KeyBoundaries.NONE);
    }

    public NameSanitizer(boolean collisions, long secret, KeyBoundaries boundaries) {
        this.collisions = collisions;
        this.secret = secret;
        this.boundaries = boundaries;
    }

    /**
     * The sanitizer of a dump: for {@code -ss}, with the boundaries of the filesystem's trees read through
     * {@code reader} ({@link BoundaryScan}); for {@code -s}, without (nothing is re-keyed).
     */
    public static NameSanitizer forDump(boolean collisions, long secret, BoundaryScan.Reader reader, int nodesize,
            long root, int rootLevel, long logRoot, int logRootLevel) {
        if (!collisions) {
            return new NameSanitizer(false, secret);
        }
        return new NameSanitizer(true, secret, BoundaryScan.scan(reader, nodesize, root, rootLevel, logRoot,
                logRootLevel, secret));
    }

    @Override
    public LeafItemTransform forTask() {
        return new NameSanitizer(collisions, secret, boundaries);
    }

    /** This task's counters (null for the driver's template). */
    public SanitizeStats stats() {
        return stats;
    }

    @Override
    public Object taskStats() {
        return stats == null ? new SanitizeStats().seal() : stats.seal();
    }

    @Override
    public boolean handles(int keyType) {
        return switch (keyType) {
            case Key.INODE_ITEM, Key.INODE_REF, Key.INODE_EXTREF, Key.XATTR_ITEM, Key.DIR_ITEM, Key.DIR_INDEX,
                    Key.EXTENT_CSUM, Key.ROOT_ITEM, Key.ROOT_BACKREF, Key.ROOT_REF -> true;
            default -> false;
        };
    }

    /** Bytes of the leaf that no item covers may hold anything, names included: zeroed. */
    @Override
    public boolean zeroesSlack() {
        return true;
    }

    @Override
    public void apply(byte[] b, int blockOffset, int slot, int start, int size) {
        if (stats == null) {
            stats = new SanitizeStats();
            cache = new NameCache(CACHE_LIMIT);
            shortNames = new ShortNames(secret);
            rekey = new LeafRekey();
        }
        int type = TreeBlock.itemType(b, blockOffset, slot);
        long objectid = TreeBlock.itemObjectid(b, blockOffset, slot);
        int end = start + size;
        switch (type) {
            case Key.EXTENT_CSUM -> {
                Zeros.fill(b, start, end);
                stats.checksums++;
            }
            case Key.INODE_ITEM -> InodeItem.clearReserved(b, start, size);
            case Key.ROOT_ITEM -> {
                InodeItem.clearReserved(b, start, size);
                RootItem.clearReserved(b, start, size);
            }
            case Key.DIR_ITEM, Key.DIR_INDEX, Key.XATTR_ITEM -> {
                boolean rootTree = TreeBlock.owner(b, blockOffset) == Key.ROOT_TREE_OBJECTID;
                long generation = TreeBlock.generation(b, blockOffset);
                for (int p = start; p + DirItem.HEADER_SIZE <= end;) {
                    int dataLen = DirItem.dataLen(b, p);
                    int nameLen = DirItem.nameLen(b, p);
                    int name = DirItem.name(p);
                    if (name + nameLen + dataLen > end) {
                        break; // a damaged entry: leave the rest as read
                    }
                    scrubTransid(b, p, generation);
                    if (type == Key.XATTR_ITEM) {
                        if (startsWith(b, name, nameLen, USER)) {
                            int status = substitute(b, name, nameLen, USER.length, objectid, Key.XATTR_ITEM);
                            rekeyed(status, b, blockOffset, slot, p, name, nameLen);
                        }
                        if (dataLen > 0) {
                            Zeros.fill(b, name + nameLen, name + nameLen + dataLen);
                            stats.values++;
                        }
                    } else {
                        if (!(rootTree && equals(b, name, nameLen, DEFAULT))) {
                            int status = substitute(b, name, nameLen, 0, objectid, Key.DIR_ITEM);
                            if (type == Key.DIR_ITEM) {
                                rekeyed(status, b, blockOffset, slot, p, name, nameLen);
                            }
                        }
                        // A dir entry has no data; whatever a damaged one carries there is not kept.
                        Zeros.fill(b, name + nameLen, name + nameLen + dataLen);
                    }
                    p = name + nameLen + dataLen;
                }
            }
            case Key.INODE_REF, Key.INODE_EXTREF -> {
                // INODE_REF: the parent is the key's offset; INODE_EXTREF: each entry's, and the key a hash
                boolean extref = type == Key.INODE_EXTREF;
                int header = extref ? InodeRef.EXTREF_HEADER_SIZE : InodeRef.REF_HEADER_SIZE;
                long keyOffset = TreeBlock.itemKeyOffset(b, blockOffset, slot);
                for (int p = start; p + header <= end;) {
                    int nameLen = extref ? InodeRef.extrefNameLen(b, p) : InodeRef.refNameLen(b, p);
                    int name = p + header;
                    if (name + nameLen > end) {
                        break;
                    }
                    long dir = extref ? InodeRef.extrefParent(b, p) : keyOffset;
                    int status = substitute(b, name, nameLen, 0, dir, Key.DIR_ITEM);
                    if (extref) {
                        extrefRekeyed(status, b, blockOffset, slot, p, name, nameLen, objectid, dir, keyOffset);
                    }
                    p = name + nameLen;
                }
            }
            case Key.ROOT_REF, Key.ROOT_BACKREF -> {
                if (size >= InodeRef.ROOT_REF_HEADER_SIZE) {
                    int nameLen = InodeRef.rootRefNameLen(b, start);
                    int name = start + InodeRef.ROOT_REF_HEADER_SIZE;
                    if (name + nameLen <= end) {
                        long dir = InodeRef.rootRefDirid(b, start);
                        substitute(b, name, nameLen, 0, dir, Key.DIR_ITEM);
                    }
                }
            }
            default -> {
            }
        }
    }

    /**
     * A dir entry's transid is the transaction that wrote it, so at most the generation of its leaf. Anything
     * larger is not a transid: {@code mkfs.btrfs --rootdir} (6.2 at least) leaves stale memory there, bytes of
     * other names and file contents included. Zero is what mkfs writes for entries it does not date.
     */
    private static void scrubTransid(byte[] b, int entry, long generation) {
        if (Long.compareUnsigned(DirItem.transid(b, entry), generation) > 0) {
            DirItem.setTransid(b, entry, 0);
        }
    }

    /** A DIR_ITEM or XATTR_ITEM entry whose name was substituted: re-keyed to the new name's hash, or counted. */
    private void rekeyed(int status, byte[] b, int blockOffset, int slot, int entry, int name, int nameLen) {
        if (status == REKEYED) {
            rekey.add(blockOffset, slot, entry, Crc32c.nameHash(b, name, nameLen) & 0xFFFFFFFFL);
            pendingRekeys++;
        } else if (status == KEPT_KEY) {
            stats.shortFallbacks++;
        }
    }

    /**
     * An INODE_EXTREF entry: its key is crc32c(parent, name), which moves with a re-keyed name, and must stay in the
     * cell of the old key among the inode's INODE_EXTREF boundaries (else the entry keeps its key: counted).
     */
    private void extrefRekeyed(int status, byte[] b, int blockOffset, int slot, int entry, int name, int nameLen,
            long inode, long dir, long oldHash) {
        if (status == KEPT_KEY) {
            stats.shortFallbacks++;
        } else if (status == REKEYED) {
            long h = Crc32c.update((int) dir, b, name, nameLen) & 0xFFFFFFFFL;
            int old = (int) oldHash;
            if (oldHash >>> 32 == 0 && h >= boundaries.cellLow(inode, Key.INODE_EXTREF, old)
                    && h < boundaries.cellHigh(inode, Key.INODE_EXTREF, old)) {
                rekey.add(blockOffset, slot, entry, h);
                pendingRekeys++;
            } else {
                stats.shortFallbacks++;
            }
        }
    }

    /** After the items of a leaf: moves the re-keyed entries (see {@link LeafRekey}). */
    @Override
    public void finishLeaf(byte[] b, int off, int nodesize, int nritems) {
        if (rekey == null || pendingRekeys == 0) {
            return;
        }
        int moved = rekey.apply(b, off, nodesize, nritems);
        if (moved < 0) {
            stats.shortFallbacks += pendingRekeys; // the leaf keeps its keys: no room to split an item
        } else {
            stats.rekeyed += moved;
        }
        pendingRekeys = 0;
        rekey.reset(-1);
    }

    /** Parents of leaves whose first key moved carry the new key (computed on the driver: {@link BoundaryScan}). */
    @Override
    public void node(byte[] b, int off, int nodesize, int nritems) {
        if (boundaries.rekeyedBlocks() == 0) {
            return;
        }
        for (int slot = 0; slot < nritems; slot++) {
            long first = boundaries.newFirstOffset(TreeBlock.childPointer(b, off, slot));
            if (first >= 0) {
                TreeBlock.setNodeKeyOffset(b, off, slot, first);
            }
        }
    }

    /**
     * Sanitizes a whole leaf held at {@code b[0 .. nodesize)} as a dump would (names, re-keying), for the driver to
     * learn what a leaf's first key becomes.
     */
    void sanitizeLeaf(byte[] b, int nodesize) {
        int n = (int) Math.min(TreeBlock.nritems(b, 0), TreeBlock.maxItems(nodesize, 0));
        for (int slot = 0; slot < n; slot++) {
            if (TreeBlock.itemInBounds(b, 0, nodesize, slot, n) && handles(TreeBlock.itemType(b, 0, slot))) {
                apply(b, 0, slot, TreeBlock.itemDataStart(b, 0, slot), (int) TreeBlock.itemSize(b, 0, slot));
            }
        }
        finishLeaf(b, 0, nodesize, n);
    }

    /**
     * Substitutes {@code b[off .. off+len)} in place; {@code dir} and {@code cellType} name the cells a short name's
     * new hash must stay in (its directory's DIR_ITEM keys, or its inode's XATTR_ITEM keys).
     */
    private int substitute(byte[] b, int off, int len, int keep, long dir, int cellType) {
        if (len == 0 || isDot(b, off, len)) {
            return PLAIN;
        }
        boolean rekey = collisions && len > keep && len - keep <= ShortNames.MAX_FREE;
        long lo = 0;
        long hi = HASHES;
        boolean boundary = false;
        if (rekey) {
            int h = Crc32c.nameHash(b, off, len);
            lo = boundaries.cellLow(dir, cellType, h);
            hi = boundaries.cellHigh(dir, cellType, h);
            boundary = lo == (h & 0xFFFFFFFFL) && boundaries.contains(dir, cellType, h);
        }
        int hash = cache.hash(b, off, len, keep);
        int status = cache.replace(b, off, len, keep, (int) lo, (int) hi, hash);
        if (status < 0) {
            if (subBuf.length < len) {
                subBuf = new byte[len];
                nameBuf = new byte[len];
            }
            System.arraycopy(b, off, nameBuf, 0, len);
            status = rekey ? computeShort(nameBuf, len, keep, lo, hi, boundary, subBuf)
                    : computeInto(nameBuf, len, keep, subBuf);
            cache.put(nameBuf, len, keep, (int) lo, (int) hi, hash, subBuf, status);
            System.arraycopy(subBuf, 0, b, off, len);
        }
        stats.names++;
        return status;
    }

    /** The substitute of {@code name}: depends only on the name, {@code keep} and the secret. */
    byte[] compute(byte[] name, int keep) {
        byte[] out = new byte[name.length];
        if (collisions && name.length - keep <= ShortNames.MAX_FREE) {
            computeShort(name, name.length, keep, 0, HASHES, false, out);
        } else {
            computeInto(name, name.length, keep, out);
        }
        return out;
    }

    /**
     * A short name under {@code -ss}: the next name of its class on the keyed cycle whose hash lies in [lo, hi); a
     * name that bounds a leaf is re-keyed only if the driver could tell (see
     * {@link ShortNames#rekeyableAtBoundary}). Without any other name in the range, the next of its class anywhere.
     */
    private int computeShort(byte[] name, int len, int keep, long lo, long hi, boolean boundary, byte[] out) {
        if (shortNames == null) {
            shortNames = new ShortNames(secret);
        }
        fingerprint(name, len);
        int kind = len == keep ? ShortNames.NONE : shortNames.solve(name, len, keep, lo, hi, out);
        if (kind != ShortNames.NONE) {
            if (kind == ShortNames.HIGH) {
                count(s -> s.shortHigh++);
            }
            return boundary && !ShortNames.rekeyableAtBoundary(name, keep, len) ? KEPT_KEY : REKEYED;
        }
        permuteShort(name, len, keep, out);
        return KEPT_KEY;
    }

    private long fingerprint(byte[] name, int len) {
        long prf = SipHash.hash(secret, KEY1 ^ secret * 0x9E3779B97F4A7C15L, name, 0, len);
        if (stats != null) {
            stats.fingerprint(prf);
        }
        return prf;
    }

    /**
     * Writes the substitute of {@code name[0 .. len)} (left unchanged) into {@code out[0 .. len)}. Allocation
     * free in the common cases: a task substitutes hundreds of thousands of names.
     */
    private int computeInto(byte[] name, int len, int keep, byte[] out) {
        long prf = fingerprint(name, len);
        SplitMix rnd = rng == null ? (rng = new SplitMix()) : rng;
        rnd.seed(prf);
        boolean isShort = len - keep <= ShortNames.MAX_FREE;
        if (collisions && !isShort) {
            CollisionSolver.Kind kind = CollisionSolver.solveInto(name, len, keep, rnd, secret, out);
            if (kind != null) {
                count(s -> s.collisions++);
                if (kind == CollisionSolver.Kind.NON_PRINTABLE) {
                    count(s -> s.nonPrintable++);
                }
                return PLAIN;
            }
            count(s -> s.noCollisionFallbacks++);
        }
        if (isShort) {
            permuteShort(name, len, keep, out);
            return PLAIN;
        }
        System.arraycopy(name, 0, out, 0, keep);
        CollisionSolver.randomPrefix(out, keep, len, rnd);
        return PLAIN;
    }

    /**
     * Short names have too few values for random garbage to stay distinct (two-byte names: 8836 printable ones),
     * so they move along a keyed cycle of all names of their length and class (printable, with high bytes, with
     * control bytes: {@link ShortNames}): one-to-one, no fixed point, never "." or "..". Names with NUL or '/' (not
     * valid names anyway) become printable garbage.
     */
    private void permuteShort(byte[] name, int len, int keep, byte[] out) {
        if (shortNames == null) {
            shortNames = new ShortNames(secret);
        }
        if (shortNames.solve(name, len, keep, 0, HASHES, out) == ShortNames.NONE) {
            System.arraycopy(name, 0, out, 0, keep);
            SplitMix rnd = rng == null ? (rng = new SplitMix()) : rng;
            rnd.seed(fingerprint(name, len));
            CollisionSolver.randomPrefix(out, keep, len, rnd);
        }
    }

    private void count(java.util.function.Consumer<SanitizeStats> c) {
        if (stats != null) {
            c.accept(stats);
        }
    }

    private static boolean isDot(byte[] b, int off, int len) {
        return (len == 1 && b[off] == '.') || (len == 2 && b[off] == '.' && b[off + 1] == '.');
    }

    private static boolean startsWith(byte[] b, int off, int len, byte[] prefix) {
        return len >= prefix.length && Arrays.equals(b, off, off + prefix.length, prefix, 0, prefix.length);
    }

    private static boolean equals(byte[] b, int off, int len, byte[] other) {
        return len == other.length && Arrays.equals(b, off, off + len, other, 0, len);
    }
}
