package io.sparkbtrfs.sanitize;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.sparkbtrfs.dump.LeafItemTransform;
import io.sparkbtrfs.format.DirItem;
import io.sparkbtrfs.format.InodeItem;
import io.sparkbtrfs.format.InodeRef;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.Zeros;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Replaces every name in every name-bearing item (DIR_ITEM, DIR_INDEX, XATTR_ITEM, INODE_REF,
 * INODE_EXTREF, ROOT_REF, ROOT_BACKREF; all entries of multi-entry items), zeroes xattr values and data
 * checksum items. The substitute of a name is a pure function of the name and the dump's secret, so
 * every executor and every item agrees on it without coordination: {@code -s} gives printable garbage,
 * {@code -ss} a name with the same length and the same name hash ({@link CollisionSolver}), garbage when
 * the name is too short to have one (counted). "." and "..", the root tree's "default" entry and the
 * names of xattr namespaces other than {@code user.} are kept.
 */
public final class NameSanitizer implements LeafItemTransform {
    private static final long serialVersionUID = 1L;

    private static final long ROOT_TREE = 1;
    private static final byte[] USER = "user.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEFAULT = "default".getBytes(StandardCharsets.US_ASCII);
    private static final int CACHE_LIMIT = 1 << 13;
    /** Second half of the 128-bit SipHash key; the first is the secret. */
    private static final long KEY1 = 0x5EC2E7B7F5A1D3C9L;
    /** Names with at most this many substituted bytes get a keyed permutation of their class, not garbage. */
    private static final int SHORT_NAME = 4;
    private static final byte[] PRINTABLE_SYMBOLS = symbols(0x20, 0x7E);
    private static final byte[] LEGAL_SYMBOLS = symbols(0x01, 0xFF);

    private final boolean collisions;
    private final long secret;
    private transient NameCache cache;
    private transient SplitMix rng;
    /** Per-task scratch: the name being substituted and its substitute (names are at most 255 bytes). */
    private transient byte[] nameBuf = new byte[256];
    private transient byte[] subBuf = new byte[256];
    private transient SanitizeStats stats;

    public NameSanitizer(boolean collisions, long secret) {
        this.collisions = collisions;
        this.secret = secret;
    }

    @Override
    public LeafItemTransform forTask() {
        return new NameSanitizer(collisions, secret);
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
        }
        int type = TreeBlock.itemType(b, blockOffset, slot);
        int end = start + size;
        switch (type) {
            case Key.EXTENT_CSUM -> {
                Zeros.fill(b, start, end);
                stats.checksums++;
            }
            case Key.INODE_ITEM -> zeroReserved(b, start, size, InodeItem.RESERVED_OFFSET, InodeItem.RESERVED_SIZE);
            case Key.ROOT_ITEM -> {
                zeroReserved(b, start, size, InodeItem.RESERVED_OFFSET, InodeItem.RESERVED_SIZE);
                zeroReserved(b, start, size, InodeItem.ROOT_ITEM_RESERVED_OFFSET, InodeItem.ROOT_ITEM_RESERVED_SIZE);
            }
            case Key.DIR_ITEM, Key.DIR_INDEX, Key.XATTR_ITEM -> {
                boolean rootTree = TreeBlock.owner(b, blockOffset) == ROOT_TREE;
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
                            substitute(b, name, nameLen, USER.length);
                        }
                        if (dataLen > 0) {
                            Zeros.fill(b, name + nameLen, name + nameLen + dataLen);
                            stats.values++;
                        }
                    } else {
                        if (!(rootTree && equals(b, name, nameLen, DEFAULT))) {
                            substitute(b, name, nameLen, 0);
                        }
                        // A dir entry has no data; whatever a damaged one carries there is not kept.
                        Zeros.fill(b, name + nameLen, name + nameLen + dataLen);
                    }
                    p = name + nameLen + dataLen;
                }
            }
            case Key.INODE_REF -> {
                for (int p = start; p + InodeRef.REF_HEADER_SIZE <= end;) {
                    int nameLen = LittleEndian.u16(b, p + InodeRef.REF_NAME_LEN_OFFSET);
                    int name = p + InodeRef.REF_HEADER_SIZE;
                    if (name + nameLen > end) {
                        break;
                    }
                    substitute(b, name, nameLen, 0);
                    p = name + nameLen;
                }
            }
            case Key.INODE_EXTREF -> {
                for (int p = start; p + InodeRef.EXTREF_HEADER_SIZE <= end;) {
                    int nameLen = LittleEndian.u16(b, p + InodeRef.EXTREF_NAME_LEN_OFFSET);
                    int name = p + InodeRef.EXTREF_HEADER_SIZE;
                    if (name + nameLen > end) {
                        break;
                    }
                    substitute(b, name, nameLen, 0);
                    p = name + nameLen;
                }
            }
            case Key.ROOT_REF, Key.ROOT_BACKREF -> {
                if (size >= InodeRef.ROOT_REF_HEADER_SIZE) {
                    int nameLen = LittleEndian.u16(b, start + InodeRef.ROOT_REF_NAME_LEN_OFFSET);
                    int name = start + InodeRef.ROOT_REF_HEADER_SIZE;
                    if (name + nameLen <= end) {
                        substitute(b, name, nameLen, 0);
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
            LittleEndian.put64(b, entry + DirItem.TRANSID_OFFSET, 0);
        }
    }

    private static void zeroReserved(byte[] b, int start, int size, int offset, int length) {
        if (size >= offset + length) {
            Zeros.fill(b, start + offset, start + offset + length);
        }
    }

    private void substitute(byte[] b, int off, int len, int keep) {
        if (len == 0 || isDot(b, off, len)) {
            return;
        }
        int hash = cache.hash(b, off, len, keep);
        if (!cache.replace(b, off, len, keep, hash)) {
            if (subBuf.length < len) {
                subBuf = new byte[len];
                nameBuf = new byte[len];
            }
            System.arraycopy(b, off, nameBuf, 0, len);
            computeInto(nameBuf, len, keep, subBuf);
            cache.put(nameBuf, len, keep, hash, subBuf);
            System.arraycopy(subBuf, 0, b, off, len);
        }
        stats.names++;
    }

    /** The substitute of {@code name}: depends only on the name, {@code keep} and the secret. */
    byte[] compute(byte[] name, int keep) {
        byte[] out = new byte[name.length];
        computeInto(name, name.length, keep, out);
        return out;
    }

    /**
     * Writes the substitute of {@code name[0 .. len)} (left unchanged) into {@code out[0 .. len)}. Allocation
     * free in the common cases: a task substitutes hundreds of thousands of names.
     */
    private void computeInto(byte[] name, int len, int keep, byte[] out) {
        long prf = SipHash.hash(secret, KEY1 ^ secret * 0x9E3779B97F4A7C15L, name, 0, len);
        SplitMix rnd = rng == null ? (rng = new SplitMix()) : rng;
        rnd.seed(prf);
        if (stats != null) {
            stats.fingerprint(prf);
        }
        boolean isShort = len - keep <= SHORT_NAME;
        if (collisions) {
            if (isShort) {
                count(s -> s.shortFallbacks++);
            } else {
                CollisionSolver.Kind kind = CollisionSolver.solveInto(name, len, keep, rnd, secret, out);
                if (kind != null) {
                    count(s -> s.collisions++);
                    if (kind == CollisionSolver.Kind.NON_PRINTABLE) {
                        count(s -> s.nonPrintable++);
                    }
                    return;
                }
                count(s -> s.noCollisionFallbacks++);
            }
        }
        if (isShort) {
            byte[] p = permuteShort(Arrays.copyOf(name, len), keep);
            if (p != null) {
                System.arraycopy(p, 0, out, 0, len);
                return;
            }
        }
        System.arraycopy(name, 0, out, 0, keep);
        CollisionSolver.randomPrefix(out, keep, len, rnd);
    }

    /**
     * Short names have too few values for random garbage to stay distinct (two-byte names: 4096 values), so
     * they are moved along a keyed cycle of all names of their length and class: printable (0x20..0x7E but
     * '/') names to printable names, others to others. A bijection, without fixed points; never "." or "..".
     * Null for names with NUL or '/' (not a valid name anyway).
     */
    private byte[] permuteShort(byte[] name, int keep) {
        int m = name.length - keep;
        if (m == 0) {
            return name.clone();
        }
        boolean printable = allIn(name, keep, PRINTABLE_SYMBOLS);
        if (!printable && !allIn(name, keep, LEGAL_SYMBOLS)) {
            return null;
        }
        byte[] symbols = printable ? PRINTABLE_SYMBOLS : LEGAL_SYMBOLS;
        long size = 1;
        long x = 0;
        for (int i = keep; i < name.length; i++) {
            size *= symbols.length;
            x = x * symbols.length + Arrays.binarySearch(symbols, name[i]);
        }
        KeyedPermutation cycle = new KeyedPermutation(secret, "short " + m + " " + keep + (printable ? " p" : " l"),
                KeyedPermutation.bitsFor(size));
        long position = cycle.inverse(x);
        byte[] out = name.clone();
        for (long j = 1; j < cycle.size(); j++) {
            long y = cycle.after(position, j);
            if (y >= size) {
                continue;
            }
            for (int i = name.length - 1; i >= keep; i--) {
                out[i] = symbols[(int) (y % symbols.length)];
                y /= symbols.length;
            }
            if ((printable || !allIn(out, keep, PRINTABLE_SYMBOLS)) && !(keep == 0 && isDot(out, 0, out.length))) {
                return out;
            }
        }
        return null;
    }

    /** The bytes lo..hi but '/', as sorted signed bytes (for binary search). */
    private static byte[] symbols(int lo, int hi) {
        byte[] out = new byte[hi - lo + 1];
        int n = 0;
        for (int c = lo; c <= hi; c++) {
            if (c != '/') {
                out[n++] = (byte) c;
            }
        }
        byte[] r = Arrays.copyOf(out, n);
        Arrays.sort(r);
        return r;
    }

    private static boolean allIn(byte[] b, int from, byte[] sortedSymbols) {
        for (int i = from; i < b.length; i++) {
            if (Arrays.binarySearch(sortedSymbols, b[i]) < 0) {
                return false;
            }
        }
        return true;
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
