package io.sparkbtrfs.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;

/**
 * The item-size limits of every image version, in one place ({@link ImageVersion}), at the values the readers and
 * restore used before they were gathered there (MetadumpFormat.itemLimit, ImageReader.maxItemSize,
 * Restorer.itemLimit's data-chunk rule, SourceComparison's 512 MiB).
 */
@Fast
class ImageVersionLimitsTest {
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;

    @Test
    void magicsNameTheirVersions() {
        assertSame(ImageVersion.V0, ImageVersion.of(0xbd5c25e27295668bL));
        assertSame(ImageVersion.V1, ImageVersion.of(0x31765f506d55445fL)); // "_DUmP_v1"
        assertSame(ImageVersion.ZSTD, ImageVersion.of(0x305f74737a42535fL)); // "_SBzst_0"
        assertSame(ImageVersion.ZSTD_STREAM, ImageVersion.of(0x315f74737a42535fL)); // "_SBzst_1"
        assertNull(ImageVersion.of(0));
        assertNull(ImageVersion.of(0x4D5F53665248425FL)); // a superblock's magic is not an image's
        for (ImageVersion v : ImageVersion.values()) {
            assertSame(v, ImageVersion.of(v.magic()));
        }
        assertFalse(ImageVersion.V1.v0Layout());
        assertTrue(ImageVersion.V0.v0Layout() && ImageVersion.ZSTD.v0Layout() && ImageVersion.ZSTD_STREAM.v0Layout());
    }

    @Test
    void limits() {
        for (ImageVersion v : new ImageVersion[] {ImageVersion.V0, ImageVersion.ZSTD, ImageVersion.ZSTD_STREAM}) {
            assertEquals(256 * KIB, v.mergeLimit(), v.name());
            assertEquals(512 * KIB, v.itemLimit(), v.name());
            assertEquals(256L * MIB, v.maxStoredSize(), v.name());
        }
        assertEquals(256L * MIB, ImageVersion.V1.mergeLimit());
        assertEquals(512 * MIB, ImageVersion.V1.itemLimit());
        assertEquals(512L * MIB, ImageVersion.V1.maxStoredSize());
        assertEquals(512 * MIB, ImageVersion.largestItemLimit());
    }

    @Test
    void dataChunksAllowAWholeSpaceCacheExtent() {
        // 16 sectors of at most 64 KiB per 256 MiB of block group (at least one 256 MiB unit): 1 MiB per unit.
        assertEquals(1 * MIB, ImageVersion.V0.itemLimitInDataChunk(0));
        assertEquals(1 * MIB, ImageVersion.V0.itemLimitInDataChunk(256L * MIB));
        assertEquals(4 * MIB, ImageVersion.V0.itemLimitInDataChunk(1L << 30));
        assertEquals(16 * MIB, ImageVersion.ZSTD.itemLimitInDataChunk(4L << 30));
        assertEquals(400 * MIB, ImageVersion.ZSTD_STREAM.itemLimitInDataChunk(100L << 30));
        assertEquals(512 * MIB, ImageVersion.V1.itemLimitInDataChunk(100L << 30), "v1's own limit is larger");
        assertEquals(Integer.MAX_VALUE - 8, ImageVersion.V0.itemLimitInDataChunk(1L << 50), "bounded by an array");
    }
}
