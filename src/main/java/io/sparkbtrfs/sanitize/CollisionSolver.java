package io.sparkbtrfs.sanitize;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

import io.sparkbtrfs.format.Crc32c;

/**
 * Finds a different name of the same length and the same btrfs name hash, printable if it can, else with bytes
 * ≥ 0x80, and with control bytes (below 0x20, 0x7F) only if the name has one too. The CRC register update is
 * linear over GF(2), so the hash of (prefix ‖ suffix) is c(prefix) ⊕ N·suffix for a matrix N that depends
 * only on the suffix length: a suffix hitting the target hash solves 32 linear equations (Gaussian
 * elimination, microseconds for a name of any length; nothing is enumerated but the few free variables).
 *
 * <p>First choice: suffix bytes {@code 0x40 | x} (6 free bits: '@', letters, '[', '\', ']', '^', '_', '`',
 * '{', '|', '}', '~'), a random printable prefix; needs 6 free bytes. Otherwise every bit of the last
 * (up to 8) bytes is free and the solutions are searched for printable ones, then for any legal one
 * (no NUL, no '/'). Names of equal length with equal hashes under one seed have equal hashes under every
 * seed, so INODE_EXTREF hashes (seeded with the parent inode) are preserved too.
 */
final class CollisionSolver {
    static final byte[] PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int MAX_SUFFIX = 8;
    private static final int ATTEMPTS = 32;
    /** COLUMNS[bits][k][i*bits+b]: effect on the register of bit b of byte i of a k-byte suffix. */
    private static final int[][][] COLUMNS = {null, null, null, null, null, null, columns(6), null, columns(8)};

    /** How a collision was found. */
    enum Kind { PRINTABLE, NON_PRINTABLE }

    /** A substitute and how it was found. */
    record Result(byte[] name, Kind kind) {
    }

    private CollisionSolver() {
    }

    private static int[][] columns(int bits) {
        int[][] out = new int[MAX_SUFFIX + 1][];
        for (int k = 1; k <= MAX_SUFFIX; k++) {
            out[k] = new int[k * bits];
            for (int i = 0; i < k; i++) {
                for (int b = 0; b < bits; b++) {
                    byte[] e = new byte[k];
                    e[i] = (byte) (1 << b);
                    out[k][i * bits + b] = Crc32c.update(0, e, 0, k);
                }
            }
        }
        return out;
    }

    /** As {@link #solve(byte[], int, SplittableRandom, long)} with secret 0. */
    static Result solve(byte[] name, int fixed, SplittableRandom rnd) {
        return solve(name, fixed, rnd, 0);
    }

    /**
     * A name equal to {@code name} in its first {@code fixed} bytes, with the same length and hash,
     * without NUL or '/', not "." or "..", different from {@code name}; null if none was found.
     * {@code rnd} is the name's own randomness, {@code secret} the dump's: with 5 or 6 free bytes the
     * same-hash class is small (2^8 or 2^16 names), so the substitute is the next member of the class on
     * a cycle keyed by the secret alone, which makes distinct names of one class get distinct substitutes.
     */
    static Result solve(byte[] name, int fixed, SplittableRandom rnd, long secret) {
        return solve(name, fixed, (LongSupplier) rnd::nextLong, secret);
    }

    static Result solve(byte[] name, int fixed, LongSupplier rnd, long secret) {
        byte[] out = new byte[name.length];
        Kind kind = solveInto(name, name.length, fixed, rnd, secret, out);
        return kind == null ? null : new Result(out, kind);
    }

    /**
     * As {@link #solve} for the name in {@code name[0 .. n)} (which is left unchanged), writing the
     * substitute into {@code out[0 .. n)}; returns how it was found, or null (out then undefined). The common
     * case (seven or more free bytes) allocates nothing: a task solves hundreds of thousands of names.
     */
    static Kind solveInto(byte[] name, int n, int fixed, LongSupplier rnd, long secret, byte[] out) {
        int free = n - fixed;
        if (free == 5 || free == 6) {
            return copyOut(walkClass(Arrays.copyOf(name, n), fixed, secret), out);
        }
        if (free >= 6) {
            int target = Crc32c.nameHash(name, 0, n);
            int k = Math.min(free, MAX_SUFFIX);
            boolean keptLegal = true;
            for (int i = 0; i < fixed; i++) {
                keptLegal &= name[i] != 0 && name[i] != '/';
            }
            System.arraycopy(name, 0, out, 0, fixed);
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                randomPrefix(out, fixed, n - k, rnd);
                Arrays.fill(out, n - k, n, (byte) 0x40);
                long x = REDUCED[6][k].solve(target ^ Crc32c.nameHash(out, 0, n), rnd.getAsLong());
                if (x == NONE) {
                    continue;
                }
                boolean ok = true;
                for (int i = 0; i < k; i++) {
                    int c = 0x40 | (int) (x >>> (i * 6)) & 0x3F;
                    out[n - k + i] = (byte) c;
                    ok &= c != 0x7F; // the only non-printable byte of this form
                }
                // The random prefix is printable; the kept bytes must be legal.
                if (ok && keptLegal && !Arrays.equals(out, 0, n, name, 0, n)) {
                    return Kind.PRINTABLE;
                }
            }
        }
        return copyOut(fallback(Arrays.copyOf(name, n), fixed, rnd), out);
    }

    private static Kind copyOut(Result r, byte[] out) {
        if (r == null) {
            return null;
        }
        System.arraycopy(r.name(), 0, out, 0, r.name().length);
        return r.kind();
    }

    /** Every bit of the last (up to 7) bytes free: searched for printable, else legal solutions. */
    private static Result fallback(byte[] name, int fixed, LongSupplier rnd) {
        int n = name.length;
        int free = n - fixed;
        int target = Crc32c.nameHash(name, 0, n);
        if (free < 5) {
            return null; // at most 32 free bits: the only solution is the name itself
        }
        int k = Math.min(free, 7); // 56 unknowns: bit 63 of a row holds the right-hand side
        byte[] out = name.clone();
        randomPrefix(out, fixed, n - k, rnd);
        Arrays.fill(out, n - k, n, (byte) 0);
        Elimination e = new Elimination(REDUCED[8][k], target ^ Crc32c.nameHash(out, 0, n));
        if (!e.solvable()) {
            return null;
        }
        byte[] clean = null;
        byte[] legal = null;
        boolean controls = hasControl(name);
        int tries = Math.min(1 << Math.min(e.freeCount(), 16), 1 << 16);
        boolean exhaustive = e.freeCount() <= 16;
        for (int t = 0; t < tries; t++) {
            long x = e.solution(exhaustive ? e.spread(t) : rnd.getAsLong());
            for (int i = 0; i < k; i++) {
                out[n - k + i] = (byte) (x >>> (i * 8));
            }
            if (Arrays.equals(out, name)) {
                continue;
            }
            if (printable(out, fixed)) {
                return new Result(out.clone(), Kind.PRINTABLE);
            }
            if (clean == null && legal(out) && !hasControl(out)) {
                clean = out.clone();
            } else if (legal == null && controls && legal(out)) {
                legal = out.clone();
            }
        }
        byte[] best = clean != null ? clean : legal;
        return best == null ? null : new Result(best, Kind.NON_PRINTABLE);
    }

    /** Fills {@code out[from .. to)} with random characters of {@link #PREFIX_ALPHABET} (64: six bits each). */
    static void randomPrefix(byte[] out, int from, int to, LongSupplier rnd) {
        long bits = 0;
        int left = 0;
        for (int i = from; i < to; i++) {
            if (left == 0) {
                bits = rnd.getAsLong();
                left = 10;
            }
            out[i] = PREFIX_ALPHABET[(int) (bits & 63)];
            bits >>>= 6;
            left--;
        }
    }

    /** The next printable (else legal) member after {@code name} of its class on the keyed cycle. */
    private static Result walkClass(byte[] name, int fixed, long secret) {
        int n = name.length;
        int k = n - fixed;
        byte[] out = name.clone();
        Arrays.fill(out, fixed, n, (byte) 0);
        int residual = Crc32c.nameHash(name, 0, n) ^ Crc32c.nameHash(out, 0, n);
        Elimination e = new Elimination(REDUCED[8][k], residual);
        long own = 0;
        for (int i = 0; i < k; i++) {
            own |= (name[fixed + i] & 0xFFL) << (8 * i);
        }
        KeyedPermutation order = KeyedPermutation.cached(secret, "class " + n + " " + fixed, e.freeCount());
        long position = order.inverse(e.gather(own));
        Reduced red = REDUCED[8][k];
        long particular = red.particular(residual);
        byte[] clean = null;
        byte[] legal = null;
        boolean controls = hasControl(name);
        for (long j = 1; j < order.size(); j++) {
            long x = particular ^ red.packed(order.after(position, j));
            for (int i = 0; i < k; i++) {
                out[fixed + i] = (byte) (x >>> (8 * i));
            }
            if (printable(out, fixed)) {
                return new Result(out, Kind.PRINTABLE);
            }
            if (clean == null && legal(out) && !hasControl(out)) {
                clean = out.clone();
            } else if (legal == null && controls && legal(out)) {
                legal = out.clone();
            }
        }
        byte[] best = clean != null ? clean : legal;
        return best == null ? null : new Result(best, Kind.NON_PRINTABLE);
    }

    static boolean printable(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            int c = b[i] & 0xFF;
            if (c < 0x21 || c > 0x7E || c == '/') {
                return false;
            }
        }
        return legal(b);
    }

    /**
     * Whether {@code b} has a control byte (below 0x20, or 0x7F): a substitute gets one only if the name had one, so
     * that scripts run over a restored image do not meet a newline in a name the source did not have.
     */
    static boolean hasControl(byte[] b) {
        for (byte c : b) {
            if ((c >= 0 && c < 0x20) || c == 0x7F) {
                return true;
            }
        }
        return false;
    }

    static boolean legal(byte[] b) {
        for (byte c : b) {
            if (c == 0 || c == '/') {
                return false;
            }
        }
        return !(b.length == 1 && b[0] == '.') && !(b.length == 2 && b[0] == '.' && b[1] == '.');
    }

    /**
     * The coefficient side of the 32 equations Σ x_j·col_j = residual in reduced row echelon form, computed
     * once per suffix shape; {@code mix[r]} records which residual bits the row operations summed into row
     * {@code r}'s right-hand side, so that each name costs 32 parities instead of an elimination.
     */
    private static final class Reduced {
        final long[] rows = new long[32];
        final int[] mix = new int[32];
        final int[] pivotCol = new int[32];
        final int m;
        int rank;
        long pivots;

        Reduced(int[] columns) {
            m = columns.length;
            for (int r = 0; r < 32; r++) {
                long row = 0;
                for (int j = 0; j < m; j++) {
                    row |= (long) ((columns[j] >>> r) & 1) << j;
                }
                rows[r] = row;
                mix[r] = 1 << r;
            }
            for (int col = 0; col < m && rank < 32; col++) {
                int sel = -1;
                for (int r = rank; r < 32 && sel < 0; r++) {
                    if (((rows[r] >>> col) & 1) != 0) {
                        sel = r;
                    }
                }
                if (sel < 0) {
                    continue;
                }
                long t = rows[sel];
                rows[sel] = rows[rank];
                rows[rank] = t;
                int tm = mix[sel];
                mix[sel] = mix[rank];
                mix[rank] = tm;
                for (int r = 0; r < 32; r++) {
                    if (r != rank && ((rows[r] >>> col) & 1) != 0) {
                        rows[r] ^= rows[rank];
                        mix[r] ^= mix[rank];
                    }
                }
                pivotCol[rank++] = col;
                pivots |= 1L << col;
            }
            long mask = m == 64 ? -1L : (1L << m) - 1;
            freeMask = mask & ~pivots;
            for (int r = rank; r < 32; r++) {
                inconsistent |= mix[r];
            }
            // Solutions are linear in the residual and in the free variables: tabulate what each bit adds.
            long[] perResidualBit = new long[32];
            for (int b = 0; b < 32; b++) {
                for (int r = 0; r < rank; r++) {
                    if (((mix[r] >>> b) & 1) != 0) {
                        perResidualBit[b] |= 1L << pivotCol[r];
                    }
                }
            }
            long[] perFreeColumn = new long[64];
            long[] basis = new long[m - rank];
            for (int col = 0, i = 0; col < m; col++) {
                if ((pivots & (1L << col)) == 0) {
                    perFreeColumn[col] = byFreeBit(col);
                    basis[i++] = perFreeColumn[col];
                }
            }
            byResidual = xorTables(perResidualBit);
            byFree = xorTables(perFreeColumn);
            byPacked = xorTables(basis);
        }

        /** tables[j][v]: the XOR of {@code perBit[8j + b]} over the bits b set in v. */
        private static long[][] xorTables(long[] perBit) {
            long[][] tables = new long[(perBit.length + 7) / 8][256];
            for (int j = 0; j < tables.length; j++) {
                for (int v = 0; v < 256; v++) {
                    long x = 0;
                    for (int b = 0; b < 8 && 8 * j + b < perBit.length; b++) {
                        if ((v & (1 << b)) != 0) {
                            x ^= perBit[8 * j + b];
                        }
                    }
                    tables[j][v] = x;
                }
            }
            return tables;
        }

        /** The XOR of the table entries of every byte of {@code bits}. */
        private static long lookup(long[][] tables, long bits) {
            long x = 0;
            for (int j = 0; j < tables.length; j++) {
                x ^= tables[j][(int) ((bits >>> (8 * j)) & 0xFF)];
            }
            return x;
        }

        /** The solution vector that free column {@code col} alone contributes (residual zero). */
        private long byFreeBit(int col) {
            long x = 1L << col;
            for (int r = 0; r < rank; r++) {
                if ((Long.bitCount(rows[r] & (1L << col)) & 1) != 0) {
                    x |= 1L << pivotCol[r];
                }
            }
            return x;
        }

        /** byPacked[j][v]: the solution part of free variables 8j..8j+7 (numbered as {@link Elimination#spread}). */
        final long[][] byPacked;
        /** byResidual[j][v]: the pivot variables a residual of byte v at position j sets. */
        final long[][] byResidual;
        /** byFree[j][v]: free variables of byte v at position j, with the pivot variables they flip. */
        final long[][] byFree;

        /** The solution with all free variables zero; solvability is the caller's to check. */
        long particular(int residual) {
            return lookup(byResidual, residual & 0xFFFFFFFFL);
        }

        /** What the free variables packed in {@code t} add to {@link #particular}: Elimination.solution(spread(t)). */
        long packed(long t) {
            return lookup(byPacked, t);
        }

        final long freeMask;
        /** Union of the residual bits that must sum to zero in the rows past the rank. */
        int inconsistent;

        /**
         * The solution for {@code residual} whose free variables come from {@code bits}, as
         * {@link Elimination#solution} gives it, in ten table lookups; {@code NONE} if unsolvable.
         */
        long solve(int residual, long bits) {
            if (inconsistent != 0) {
                for (int r = rank; r < 32; r++) {
                    if ((Integer.bitCount(mix[r] & residual) & 1) != 0) {
                        return NONE;
                    }
                }
            }
            return particular(residual) ^ lookup(byFree, bits & freeMask);
        }
    }

    /** {@link Reduced#solve} of an inconsistent system. */
    private static final long NONE = Long.MIN_VALUE;

    /**
     * The only k-byte string x (k ≤ 4, byte i in bits 8i..8i+7) whose effect on the CRC register is
     * {@code residual}, or -1 if none: CRC-32C is injective on 4 bytes or less, so a name that short is determined by
     * its hash (and its length and the bytes before it).
     */
    static long preimage(int residual, int k) {
        long x = REDUCED[8][k].solve(residual, 0);
        return x == NONE ? -1 : x;
    }

    /** REDUCED[bits][k]: the reduced form of COLUMNS[bits][k]. */
    private static final Reduced[][] REDUCED = {null, null, null, null, null, null, reduced(COLUMNS[6]), null,
        reduced(COLUMNS[8])};

    private static Reduced[] reduced(int[][] columns) {
        Reduced[] out = new Reduced[columns.length];
        for (int k = 1; k < columns.length; k++) {
            out[k] = new Reduced(columns[k]);
        }
        return out;
    }

    /** The 32 equations for one residual, in reduced row echelon form. */
    private static final class Elimination {
        private final long[] rows = new long[32]; // bits 0..m-1 coefficients, bit 63 right-hand side
        private final int[] pivotCol;
        private final int m;
        private final int rank;
        private final long pivots;
        private boolean solvable = true;

        Elimination(Reduced reduced, int residual) {
            m = reduced.m;
            rank = reduced.rank;
            pivots = reduced.pivots;
            pivotCol = reduced.pivotCol;
            for (int r = 0; r < 32; r++) {
                long rhs = Integer.bitCount(reduced.mix[r] & residual) & 1;
                rows[r] = reduced.rows[r] | rhs << 63;
                if (r >= rank && rhs != 0) {
                    solvable = false;
                }
            }
        }

        boolean solvable() {
            return solvable;
        }

        int freeCount() {
            return m - rank;
        }

        /** The free-variable assignment number {@code t}, spread over the free columns. */
        long spread(long t) {
            long x = 0;
            int bit = 0;
            for (int col = 0; col < m; col++) {
                if ((pivots & (1L << col)) == 0) {
                    x |= ((t >>> bit++) & 1) << col;
                }
            }
            return x;
        }

        /** The inverse of {@link #spread}: the free variables of solution {@code x}, packed. */
        long gather(long x) {
            long t = 0;
            int bit = 0;
            for (int col = 0; col < m; col++) {
                if ((pivots & (1L << col)) == 0) {
                    t |= ((x >>> col) & 1) << bit++;
                }
            }
            return t;
        }

        /** The solution whose free variables are taken from {@code bits}. */
        long solution(long bits) {
            long mask = m == 64 ? -1L : (1L << m) - 1;
            long x = bits & mask & ~pivots;
            for (int r = 0; r < rank; r++) {
                long row = rows[r];
                if (((row >>> 63) ^ (Long.bitCount(row & x & mask) & 1)) != 0) {
                    x |= 1L << pivotCol[r];
                }
            }
            return x;
        }
    }
}
