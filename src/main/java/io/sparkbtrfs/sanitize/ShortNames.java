package io.sparkbtrfs.sanitize;

import io.sparkbtrfs.format.Crc32c;

/**
 * Substitutes for names whose sanitized part is 1 to 4 bytes long, with the hash kept inside a given range
 * instead of equal (no other name that short has the same hash: CRC-32C is injective on 4 bytes): the item the
 * name keys (DIR_ITEM, XATTR_ITEM) is re-keyed to the new hash, which must not leave the range of keys its leaf
 * spans ({@link KeyBoundaries}).
 *
 * <p>The substitute is the next member after the name on a cycle of all names of its length and class, keyed by
 * the dump's secret, restricted to the members whose hash lies in the range: distinct names of one range get
 * distinct substitutes, never themselves, and every occurrence of the name (in any item, task or tree) gets the
 * same one. Classes keep what the bytes are: printable names (0x20..0x7E but '/') get printable substitutes;
 * names with bytes ≥ 0x80 and no control byte get such substitutes; names with a control byte get any legal
 * bytes. A printable name alone among the printable names of its range joins the names with high bytes (the
 * only case where a printable name gets bytes ≥ 0x80); the names with high bytes of that range then share its
 * cycle, so that the map stays one-to-one.
 */
final class ShortNames {
    /** At most this many free bytes: longer names keep their hash ({@link CollisionSolver}). */
    static final int MAX_FREE = 4;
    /** A range this crowded by others' keys is given up after this many steps of a walk (never seen in practice). */
    private static final long BUDGET = 1L << 24;

    static final int PRINTABLE = 0;
    static final int CLEAN = 1;
    static final int LEGAL = 2;
    /** Alphabets by class: printable; printable and 0x80..0xFF; 0x01..0xFF. None holds '/' or NUL. */
    private static final byte[][] ALPHABETS = {symbols(0x20, 0x7E), concat(symbols(0x20, 0x7E), symbols(0x80, 0xFF)),
        symbols(0x01, 0xFF)};
    /** POSITIONS[class][byte]: the byte's digit in that alphabet, -1 if absent. */
    private static final int[][] POSITIONS = {positions(ALPHABETS[0]), positions(ALPHABETS[1]),
        positions(ALPHABETS[2])};

    /** What a name of a class was given. */
    static final int NONE = 0;
    static final int SAME_CLASS = 1;
    /** A printable name given bytes ≥ 0x80: no other printable name of its length has a hash in the range. */
    static final int HIGH = 2;

    private final long secret;
    /** Cycles by walk mode (printable, printable-or-high, legal) and number of free bytes, keyed on first use. */
    private final KeyedPermutation[][] cycles = new KeyedPermutation[3][MAX_FREE + 1];
    private final KeyedPermutation[][] hashCycles = new KeyedPermutation[3][33];
    private final byte[] scratch = new byte[256];

    ShortNames(long secret) {
        this.secret = secret;
    }

    private static byte[] symbols(int lo, int hi) {
        byte[] out = new byte[hi - lo + 1];
        int n = 0;
        for (int c = lo; c <= hi; c++) {
            if (c != '/') {
                out[n++] = (byte) c;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] positions(byte[] alphabet) {
        int[] pos = new int[256];
        java.util.Arrays.fill(pos, -1);
        for (int i = 0; i < alphabet.length; i++) {
            pos[alphabet[i] & 0xFF] = i;
        }
        return pos;
    }

    /** The class of {@code b[from .. to)}: PRINTABLE, CLEAN (a byte ≥ 0x80, no control), LEGAL; -1 with NUL or '/'. */
    static int classOf(byte[] b, int from, int to) {
        int cls = PRINTABLE;
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xFF;
            if (c == 0 || c == '/') {
                return -1;
            }
            if (c < 0x20 || c == 0x7F) {
                cls = LEGAL;
            } else if (c >= 0x80 && cls == PRINTABLE) {
                cls = CLEAN;
            }
        }
        return cls;
    }

    /**
     * Whether a name whose key bounds a leaf may be re-keyed: its parent's key changes too, and the dump finds the
     * parents to change by the hash alone, so only names that hash can be told apart from other names by are
     * re-keyed there: valid UTF-8 without control bytes (the hashes of about one long name in thirty look like one).
     */
    static boolean rekeyableAtBoundary(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            int c = b[i] & 0xFF;
            int extra;
            if (c < 0x80) {
                if (c < 0x20 || c == 0x7F || c == '/') {
                    return false;
                }
                extra = 0;
            } else if (c >= 0xC2 && c <= 0xDF) {
                extra = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                extra = 2;
            } else if (c >= 0xF0 && c <= 0xF4) {
                extra = 3;
            } else {
                return false;
            }
            if (i + extra >= to && extra > 0) {
                return false;
            }
            for (int k = 1; k <= extra; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    return false;
                }
            }
            int second = extra > 0 ? b[i + 1] & 0xFF : 0;
            if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second >= 0xA0) || (c == 0xF0 && second < 0x90)
                    || (c == 0xF4 && second >= 0x90)) {
                return false; // overlong, surrogate or past U+10FFFF
            }
            i += 1 + extra;
        }
        return true;
    }

    /**
     * The substitute of {@code name[0 .. len)} (first {@code keep} bytes kept, 1..4 free) whose name hash lies in
     * [{@code lo}, {@code hi}) (unsigned), written to {@code out[0 .. len)}; returns SAME_CLASS or HIGH, or NONE if no
     * other name of the class has a hash in the range (out undefined).
     */
    int solve(byte[] name, int len, int keep, long lo, long hi, byte[] out) {
        int m = len - keep;
        int cls = classOf(name, keep, len);
        if (m < 1 || m > MAX_FREE || cls < 0) {
            return NONE;
        }
        System.arraycopy(name, 0, out, 0, keep);
        int state = Crc32c.update(Crc32c.NAME_HASH_SEED, name, 0, keep);
        boolean dots = keep == 0;
        if (cls == LEGAL) {
            return walk(LEGAL, 1 << LEGAL, m, name, keep, state, lo, hi, dots, out) ? SAME_CLASS : NONE;
        }
        boolean printablesShare = cls == PRINTABLE
                ? walk(PRINTABLE, 1 << PRINTABLE, m, name, keep, state, lo, hi, dots, out)
                : atLeastTwoPrintable(m, keep, state, lo, hi, dots);
        if (printablesShare) {
            return cls == PRINTABLE ? SAME_CLASS : walk(CLEAN, 1 << CLEAN, m, name, keep, state, lo, hi, dots, out)
                    ? SAME_CLASS : NONE;
        }
        // at most one printable name in the range: printable and high-byte names share one cycle
        if (!walk(CLEAN, 1 << PRINTABLE | 1 << CLEAN, m, name, keep, state, lo, hi, dots, out)) {
            return NONE;
        }
        return cls == PRINTABLE && classOf(out, keep, len) != PRINTABLE ? HIGH : SAME_CLASS;
    }

    /**
     * Four free bytes make 2^32 strings and CRC-32C a bijection on them: in a narrow range, walking the range's hashes
     * (each the hash of exactly one string) finds members in fewer steps than walking the strings of the class.
     */
    private static boolean walksHashes(int m, long lo, long hi) {
        return m == MAX_FREE && hi - lo < 1L << 27;
    }

    /**
     * Walks a keyed cycle from the name's position to the next member: a string of {@code alphabet} (or, see
     * {@link #walksHashes}, a hash of the range) whose class is in {@code classes}, whose hash is in the range, not
     * "." or ".." (when {@code dots}). The member is left in {@code out}. False if the walk came back to the name (no
     * other member) or ran out of budget.
     */
    private boolean walk(int alphabet, int classes, int m, byte[] name, int keep, int state, long lo, long hi,
            boolean dots, byte[] out) {
        boolean hashes = walksHashes(m, lo, hi);
        long size;
        long own;
        KeyedPermutation cycle;
        if (hashes) {
            size = hi - lo;
            own = (Crc32c.update(state, name, keep, m) & 0xFFFFFFFFL) - lo;
            cycle = hashCycle(alphabet, size);
        } else {
            byte[] symbols = ALPHABETS[alphabet];
            size = pow(symbols.length, m);
            own = 0;
            for (int i = keep; i < keep + m; i++) {
                own = own * symbols.length + POSITIONS[alphabet][name[i] & 0xFF];
            }
            cycle = cycle(alphabet, m, size);
        }
        long position = cycle.inverse(own);
        long steps = Math.min(cycle.size(), BUDGET);
        for (long j = 1; j < steps; j++) {
            long y = cycle.after(position, j);
            if (y >= size) {
                continue;
            }
            if (y == own) {
                return false;
            }
            if (isMember(hashes, y, alphabet, m, keep, classes, state, lo, hi, dots, out)) {
                return true;
            }
        }
        return false;
    }

    /** Whether at least two printable names of m free bytes hash into the range (the same answer for every name). */
    private boolean atLeastTwoPrintable(int m, int keep, int state, long lo, long hi, boolean dots) {
        boolean hashes = walksHashes(m, lo, hi);
        long size = hashes ? hi - lo : pow(ALPHABETS[PRINTABLE].length, m);
        KeyedPermutation cycle = hashes ? hashCycle(PRINTABLE, size) : cycle(PRINTABLE, m, size);
        int found = 0;
        long steps = Math.min(cycle.size(), BUDGET);
        for (long j = 0; j < steps && found < 2; j++) {
            long y = cycle.forward(j);
            if (y < size && isMember(hashes, y, PRINTABLE, m, keep, 1 << PRINTABLE, state, lo, hi, dots, scratch)) {
                found++;
            }
        }
        return found >= 2;
    }

    /**
     * Puts candidate y into out[keep .. keep+m) (string number y of the alphabet, or the string whose hash is lo + y)
     * and tells whether it is a member.
     */
    private static boolean isMember(boolean hashes, long y, int alphabet, int m, int keep, int classes, int state,
            long lo, long hi, boolean dots, byte[] out) {
        if (hashes) {
            long x = CollisionSolver.preimage((int) (lo + y) ^ Crc32c.update(state, ZEROS, 0, m), m);
            for (int i = 0; i < m; i++) {
                out[keep + i] = (byte) (x >>> (8 * i));
            }
        } else {
            spell(y, alphabet, m, out, keep);
        }
        if (dots && out[keep] == '.' && (m == 1 || (m == 2 && out[keep + 1] == '.'))) {
            return false;
        }
        int cls = classOf(out, keep, keep + m);
        if (cls < 0 || (classes & 1 << cls) == 0) {
            return false;
        }
        if (hashes) {
            return true;
        }
        long h = Crc32c.update(state, out, keep, m) & 0xFFFFFFFFL;
        return h >= lo && h < hi;
    }

    private static final byte[] ZEROS = new byte[MAX_FREE];

    /** PAIRS[alphabet][2v], [2v+1]: the two symbols of number v < |alphabet|^2 (spelling without a division per byte). */
    private static final byte[][] PAIRS = {pairs(ALPHABETS[0]), pairs(ALPHABETS[1]), pairs(ALPHABETS[2])};

    private static byte[] pairs(byte[] symbols) {
        int a = symbols.length;
        byte[] out = new byte[2 * a * a];
        for (int v = 0; v < a * a; v++) {
            out[2 * v] = symbols[v / a];
            out[2 * v + 1] = symbols[v % a];
        }
        return out;
    }

    /** Writes string number y (base |alphabet|, most significant first) into out[at .. at+m). */
    private static void spell(long y, int alphabet, int m, byte[] out, int at) {
        byte[] symbols = ALPHABETS[alphabet];
        byte[] pairs = PAIRS[alphabet];
        int a2 = symbols.length * symbols.length;
        switch (m) {
            case 1 -> out[at] = symbols[(int) y];
            case 2 -> {
                out[at] = pairs[2 * (int) y];
                out[at + 1] = pairs[2 * (int) y + 1];
            }
            case 3 -> {
                int q = (int) y / a2;
                int r = (int) y - q * a2;
                out[at] = symbols[q];
                out[at + 1] = pairs[2 * r];
                out[at + 2] = pairs[2 * r + 1];
            }
            default -> {
                int q = (int) (y / a2);
                int r = (int) (y - (long) q * a2);
                out[at] = pairs[2 * q];
                out[at + 1] = pairs[2 * q + 1];
                out[at + 2] = pairs[2 * r];
                out[at + 3] = pairs[2 * r + 1];
            }
        }
    }

    /** The keyed cycle over the hashes of a range of {@code size}, by walk alphabet. */
    private KeyedPermutation hashCycle(int alphabet, long size) {
        int bits = KeyedPermutation.bitsFor(size);
        KeyedPermutation c = hashCycles[alphabet][bits];
        if (c == null) {
            c = KeyedPermutation.cached(secret, "rekey hashes " + alphabet, bits);
            hashCycles[alphabet][bits] = c;
        }
        return c;
    }

    private KeyedPermutation cycle(int alphabet, int m, long size) {
        KeyedPermutation c = cycles[alphabet][m];
        if (c == null) {
            c = KeyedPermutation.cached(secret, "rekey " + alphabet + " " + m, KeyedPermutation.bitsFor(size));
            cycles[alphabet][m] = c;
        }
        return c;
    }

    private static long pow(int base, int exp) {
        long r = 1;
        for (int i = 0; i < exp; i++) {
            r *= base;
        }
        return r;
    }

    /**
     * Whether some name of 1..4 free bytes after {@code prefix} that {@link #rekeyableAtBoundary} accepts has name
     * hash {@code hash}: the keys of a parent node whose child's first item may be re-keyed (the dump then reads
     * that child to know).
     */
    static boolean mayBeRekeyableShortName(int hash, byte[] prefix) {
        byte[] buf = new byte[prefix.length + MAX_FREE];
        System.arraycopy(prefix, 0, buf, 0, prefix.length);
        for (int m = 1; m <= MAX_FREE; m++) {
            java.util.Arrays.fill(buf, prefix.length, prefix.length + m, (byte) 0);
            int residual = hash ^ Crc32c.nameHash(buf, 0, prefix.length + m);
            long x = CollisionSolver.preimage(residual, m);
            if (x < 0) {
                continue;
            }
            for (int i = 0; i < m; i++) {
                buf[prefix.length + i] = (byte) (x >>> (8 * i));
            }
            if (rekeyableAtBoundary(buf, prefix.length, prefix.length + m)
                    && !(prefix.length == 0 && buf[0] == '.' && (m == 1 || (m == 2 && buf[1] == '.')))) {
                return true;
            }
        }
        return false;
    }
}
