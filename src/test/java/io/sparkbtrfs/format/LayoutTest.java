package io.sparkbtrfs.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.testing.Fast;

/**
 * The chained offset constants of the views ({@code X_OFFSET = PREV_OFFSET + size of PREV}) against the offsets of
 * the kernel's structures (include/uapi/linux/btrfs_tree.h), written out here as numbers once: a field left out of
 * a chain, or a wrong size, moves every offset after it. The superblock's setters are checked against btrfs-progs in
 * {@link SuperblockTest}, the leaf views by the byte-identity tests of dump and restore.
 */
@Fast
class LayoutTest {
    @Test
    void superblock() {
        assertEquals(32, Superblock.FSID_OFFSET);
        assertEquals(48, Superblock.BYTENR_OFFSET);
        assertEquals(56, Superblock.FLAGS_OFFSET);
        assertEquals(64, Superblock.MAGIC_OFFSET);
        assertEquals(72, Superblock.GENERATION_OFFSET);
        assertEquals(80, Superblock.ROOT_OFFSET);
        assertEquals(88, Superblock.CHUNK_ROOT_OFFSET);
        assertEquals(96, Superblock.LOG_ROOT_OFFSET);
        assertEquals(112, Superblock.TOTAL_BYTES_OFFSET);
        assertEquals(120, Superblock.BYTES_USED_OFFSET);
        assertEquals(136, Superblock.NUM_DEVICES_OFFSET);
        assertEquals(144, Superblock.SECTORSIZE_OFFSET);
        assertEquals(148, Superblock.NODESIZE_OFFSET);
        assertEquals(160, Superblock.SYS_CHUNK_ARRAY_SIZE_OFFSET);
        assertEquals(164, Superblock.CHUNK_ROOT_GENERATION_OFFSET);
        assertEquals(188, Superblock.INCOMPAT_FLAGS_OFFSET);
        assertEquals(196, Superblock.CSUM_TYPE_OFFSET);
        assertEquals(198, Superblock.ROOT_LEVEL_OFFSET);
        assertEquals(199, Superblock.CHUNK_ROOT_LEVEL_OFFSET);
        assertEquals(200, Superblock.LOG_ROOT_LEVEL_OFFSET);
        assertEquals(201, Superblock.DEV_ITEM_OFFSET);
        assertEquals(299, Superblock.LABEL_OFFSET);
        assertEquals(555, Superblock.CACHE_GENERATION_OFFSET);
        assertEquals(571, Superblock.METADATA_UUID_OFFSET);
        assertEquals(595, Superblock.REMAP_ROOT_OFFSET);
        assertEquals(611, Superblock.REMAP_ROOT_LEVEL_OFFSET);
        assertEquals(811, Superblock.SYS_CHUNK_ARRAY_OFFSET);
        assertEquals(2859, Superblock.SUPER_ROOTS_OFFSET);
        // 565 bytes of padding close the 4096.
        assertEquals(Superblock.SIZE, Superblock.SUPER_ROOTS_OFFSET + Superblock.SUPER_ROOTS_SIZE + 565);
        assertEquals(List.of(65536L, 67108864L, 274877906944L), Superblock.COPY_OFFSETS);
        assertEquals(List.of(67108864L, 274877906944L), Superblock.MIRROR_OFFSETS);
    }

    @Test
    void devItemAndChunkItem() {
        assertEquals(8, DevItem.TOTAL_BYTES_OFFSET);
        assertEquals(16, DevItem.BYTES_USED_OFFSET);
        assertEquals(66, DevItem.UUID_OFFSET);
        assertEquals(82, DevItem.FSID_OFFSET);
        assertEquals(98, DevItem.SIZE);

        assertEquals(16, ChunkItem.STRIPE_LEN_OFFSET);
        assertEquals(24, ChunkItem.TYPE_OFFSET);
        assertEquals(32, ChunkItem.IO_ALIGN_OFFSET);
        assertEquals(40, ChunkItem.SECTOR_SIZE_OFFSET);
        assertEquals(44, ChunkItem.NUM_STRIPES_OFFSET);
        assertEquals(46, ChunkItem.SUB_STRIPES_OFFSET);
        assertEquals(48, ChunkItem.HEADER_SIZE);
        assertEquals(8, ChunkItem.STRIPE_OFFSET_OFFSET);
        assertEquals(16, ChunkItem.STRIPE_DEV_UUID_OFFSET);
        assertEquals(32, ChunkItem.STRIPE_SIZE);
        assertEquals(80, ChunkItem.itemSize(1));
    }

    @Test
    void treeBlockAndKey() {
        assertEquals(8, Key.TYPE_OFFSET);
        assertEquals(9, Key.OFFSET_OFFSET);
        assertEquals(17, Key.SIZE);
        assertEquals(48, TreeBlock.BYTENR_OFFSET);
        assertEquals(101, TreeBlock.HEADER_SIZE);
        assertEquals(25, TreeBlock.ITEM_SIZE);
        assertEquals(33, TreeBlock.KEY_PTR_SIZE);
    }

    /** The owners a damaged block's report names (the ranges PartWriter used before they moved here). */
    @Test
    void plausibleOwners() {
        for (long owner : new long[] {1, 5, 12, 256, (1L << 48) - 1, -6, -9, -11}) {
            assertTrue(TreeBlock.plausibleOwner(owner), Long.toString(owner));
        }
        for (long owner : new long[] {0, 13, 255, 1L << 48, -1, -5, -12, Long.MIN_VALUE}) {
            assertFalse(TreeBlock.plausibleOwner(owner), Long.toString(owner));
        }
    }

    @Test
    void items() {
        assertEquals(160, InodeItem.SIZE);
        assertEquals(80, InodeItem.RESERVED_OFFSET);
        assertEquals(160, RootItem.GENERATION_OFFSET);
        assertEquals(176, RootItem.BYTENR_OFFSET);
        assertEquals(238, RootItem.LEVEL_OFFSET);
        assertEquals(239, RootItem.GENERATION_V2_OFFSET);
        assertEquals(375, RootItem.RESERVED_OFFSET);
        assertEquals(439, RootItem.SIZE);
        assertEquals(17, DirItem.TRANSID_OFFSET);
        assertEquals(25, DirItem.DATA_LEN_OFFSET);
        assertEquals(27, DirItem.NAME_LEN_OFFSET);
        assertEquals(29, DirItem.TYPE_OFFSET);
        assertEquals(30, DirItem.HEADER_SIZE);
        assertEquals(8, InodeRef.REF_NAME_LEN_OFFSET);
        assertEquals(10, InodeRef.REF_HEADER_SIZE);
        assertEquals(16, InodeRef.EXTREF_NAME_LEN_OFFSET);
        assertEquals(18, InodeRef.EXTREF_HEADER_SIZE);
        assertEquals(16, InodeRef.ROOT_REF_NAME_LEN_OFFSET);
        assertEquals(18, InodeRef.ROOT_REF_HEADER_SIZE);
        assertEquals(20, FileExtent.TYPE_OFFSET);
        assertEquals(21, FileExtent.DISK_BYTENR_OFFSET);
        assertEquals(29, FileExtent.DISK_NUM_BYTES_OFFSET);
        assertEquals(53, FileExtent.REG_SIZE);
        assertEquals(16, BlockGroupItem.FLAGS_OFFSET);
        assertEquals(24, BlockGroupItem.SIZE);
        assertEquals(32, DevExtent.CHUNK_TREE_UUID_OFFSET);
        assertEquals(48, DevExtent.SIZE);
        assertEquals(16, ExtentItem.FLAGS_OFFSET);
        assertEquals(24, ExtentItem.SIZE);
    }

    @Test
    void metadumpIndex() {
        assertEquals(8, MetadumpFormat.BYTENR_OFFSET);
        assertEquals(16, MetadumpFormat.NRITEMS_OFFSET);
        assertEquals(20, MetadumpFormat.COMPRESS_OFFSET);
        assertEquals(21, MetadumpFormat.HEADER_SIZE);
        assertEquals(12, MetadumpFormat.ENTRY_SIZE);
        assertEquals(83, MetadumpFormat.MAX_ITEMS);
        assertEquals(1017, MetadumpFormat.MARKS_OFFSET);
        assertEquals(1020, MetadumpFormat.PAYLOAD_SIZE_OFFSET);
    }

    @Test
    void settersWriteTheFieldsTheReadersRead() {
        byte[] b = new byte[200];
        int at = 7;
        TreeBlock.setItem(b, 0, 2, 256, Key.DIR_ITEM, 0x1122334455L, 40, 30);
        assertEquals(new Key(256, Key.DIR_ITEM, 0x1122334455L), TreeBlock.itemKey(b, 0, 2));
        assertEquals(40, TreeBlock.itemOffset(b, 0, 2));
        TreeBlock.setItemSize(b, 0, 2, 31);
        assertEquals(31, TreeBlock.itemSize(b, 0, 2));
        TreeBlock.setNodeKey(b, 0, 1, new Key(-1L, 255, -2L));
        assertEquals(new Key(-1L, 255, -2L), TreeBlock.nodeKey(b, 0, 1));

        byte[] c = new byte[at + ChunkItem.itemSize(2)];
        ChunkItem.setHeader(c, at, 1L << 30, 65536, ChunkItem.TYPE_METADATA | ChunkItem.DUP, 4096);
        ChunkItem.setStripeCounts(c, at, 2, 0);
        byte[] uuid = new byte[16];
        uuid[15] = 9;
        ChunkItem.setStripe(c, at, 0, 1, 1L << 20, uuid);
        ChunkItem.setStripe(c, at, 1, 1, 3L << 30, uuid);
        ChunkItem parsed = assertParses(c, at);
        assertEquals(1L << 30, parsed.length());
        assertEquals(ChunkItem.TYPE_METADATA | ChunkItem.DUP, ChunkItem.type(c, at));
        assertEquals(2, ChunkItem.numStripes(c, at));
        assertEquals(3L << 30, parsed.offset(1));
        assertEquals(1, parsed.devid(1));

        byte[] d = new byte[DevItem.SIZE];
        DevItem.setTotalBytes(d, 0, 123);
        DevItem.setBytesUsed(d, 0, 45);
        assertEquals(123, DevItem.totalBytes(d, 0));
        assertEquals(45, LittleEndian.u64(d, DevItem.BYTES_USED_OFFSET));
    }

    private static ChunkItem assertParses(byte[] b, int at) {
        try {
            return ChunkItem.parse(5L << 30, b, at, b.length - at, "test");
        } catch (BtrfsFormatException e) {
            throw new AssertionError(e);
        }
    }
}
