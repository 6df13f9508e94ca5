package io.sparkbtrfs.image;

/**
 * The versions of the metadump format, as the magic of every index block names them, and the sizes each allows:
 *
 * <pre>
 * version      magic       compress   merge limit   item limit (content)   stored limit (index size, payload)
 * V0           0xbd5c...   not 2, 3   256 KiB       512 KiB                256 MiB
 * V1           _DUmP_v1    not 2, 3   256 MiB       512 MiB                512 MiB
 * ZSTD         _SBzst_0    2          256 KiB       512 KiB                256 MiB
 * ZSTD_STREAM  _SBzst_1    3          256 KiB       512 KiB                256 MiB
 * </pre>
 *
 * (v0 and v1 readers take unknown compress flags for raw, as the reference does.) The merge limit is the
 * reference's {@code max_pending_size}: the most content a dumper merges into one item. The item limit is what one
 * item may inflate to, twice the merge limit as the reference allows; in a data chunk an item may be larger
 * ({@link #itemLimitInDataChunk}). The stored limit bounds what a reader accepts from an index before reading a
 * payload, so that a lying size fails at end of file rather than allocating.
 */
public enum ImageVersion {
    V0(MetadumpFormat.MAGIC_V0, MetadumpFormat.MAX_PENDING_V0),
    V1(MetadumpFormat.MAGIC_V1, MetadumpFormat.MAX_PENDING_V1),
    /** Our per-item zstd flavour: v0 layout and limits. */
    ZSTD(MetadumpFormat.MAGIC_ZSTD, MetadumpFormat.MAX_PENDING_V0),
    /** Our stream flavour: v0 limits, item sizes in the index are content sizes. */
    ZSTD_STREAM(MetadumpFormat.MAGIC_ZSTD_STREAM, MetadumpFormat.MAX_PENDING_V0);

    /** Arrays stay below this (some JVMs reserve header words in the largest arrays). */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    /** The v1 space cache: the kernel gives a block group 16 sectors (at most 64 KiB each) per 256 MiB. */
    private static final long CACHE_BLOCK_GROUP_UNIT = 256L << 20;
    private static final long CACHE_BYTES_PER_UNIT = 16 * 65536;

    private final long magic;
    private final long mergeLimit;

    ImageVersion(long magic, long mergeLimit) {
        this.magic = magic;
        this.mergeLimit = mergeLimit;
    }

    /** The version {@code magic} names, or null if none does. */
    public static ImageVersion of(long magic) {
        for (ImageVersion v : values()) {
            if (v.magic == magic) {
                return v;
            }
        }
        return null;
    }

    public long magic() {
        return magic;
    }

    /** The most content a dumper merges into one item (the reference's max_pending_size). */
    public long mergeLimit() {
        return mergeLimit;
    }

    /** Whether a restore flags the filesystem METADUMP_V2 (every version but v1, which flags METADUMP). */
    public boolean v0Layout() {
        return this != V1;
    }

    /** The most one item's content may inflate to: twice the merge limit, as the reference allows. */
    public int itemLimit() {
        return (int) Math.min(MAX_ARRAY, 2 * mergeLimit);
    }

    /**
     * The most an item in a data chunk of {@code chunkLength} bytes may inflate to: at least {@link #itemLimit()},
     * and a whole v1 space-cache extent, which the dumper never splits: the kernel sizes a block group's cache at
     * 16 sectors (at most 64 KiB each) per 256 MiB of block group, so block groups over 2 GiB give valid items over
     * 512 KiB (the reference has no limit in this phase).
     */
    public int itemLimitInDataChunk(long chunkLength) {
        long cache = Math.max(1, Long.divideUnsigned(chunkLength, CACHE_BLOCK_GROUP_UNIT)) * CACHE_BYTES_PER_UNIT;
        return (int) Math.max(itemLimit(), Math.min(MAX_ARRAY, cache));
    }

    /** The largest item any version allows: what decodes an item of an image of any version. */
    public static int largestItemLimit() {
        return V1.itemLimit();
    }

    /**
     * The largest stored size an index entry (or a stream cluster's payload size) may declare: v1 twice its merge
     * limit, the others 256 MiB (v0 images carry space-cache extents far beyond their 512 KiB item limit).
     */
    public long maxStoredSize() {
        return this == V1 ? 2 * MetadumpFormat.MAX_PENDING_V1 : MetadumpFormat.MAX_PENDING_V1;
    }
}
