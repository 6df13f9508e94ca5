package io.sparkbtrfs.format;

/** Binary search over addresses sorted as unsigned 64-bit numbers (btrfs addresses may exceed 2^63). */
public final class UnsignedSearch {
    private UnsignedSearch() {
    }

    /** Index of the last element ≤ {@code key}, or -1. */
    public static int floor(long[] sorted, long key) {
        return floor(sorted, sorted.length, key);
    }

    /** As {@link #floor(long[], long)} over the first {@code length} elements. */
    public static int floor(long[] sorted, int length, long key) {
        int lo = 0;
        int hi = length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(sorted[mid], key) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** Index of the first element ≥ {@code key} (the first of equal ones), or {@code sorted.length} if none. */
    public static int lowerBound(long[] sorted, long key) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(sorted[mid], key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
