package io.sparkbtrfs.restore;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.DevItem;
import io.sparkbtrfs.format.Key;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.MetadumpFormat;

/**
 * Phase 1 of a default restore (spec §5.2): find the superblock item, then collect the CHUNK_ITEMs of
 * every chunk-tree leaf stored in a system chunk, and decide where each chunk goes on the single target.
 * Chunks whose stripe-0 range collides with an earlier chunk's (stripes of different devices can share
 * physical offsets) are moved past the highest end used so far.
 */
public final class ChunkMapBuilder {
    /** Items are inflated in pieces of this size (a multiple of every nodesize): memory stays bounded. */
    private static final int PIECE = 512 * 1024;

    private ChunkMapBuilder() {
    }

    public static ImageHeader read(InputStream in, String name) throws IOException, ImageFormatException,
            RestoreException {
        ImageReader reader = new ImageReader(in, name);
        SystemItems wanted = new SystemItems();
        ImageReader.Cluster first = reader.next(wanted);
        byte[] raw = null;
        String sbWhere = null;
        for (int i = 0; i < first.size() && raw == null; i++) {
            if (first.bytenrs()[i] == Superblock.PRIMARY_OFFSET) {
                raw = inflate(first, i, Superblock.SIZE, name);
                sbWhere = name + ": superblock (item " + i + " of cluster at offset " + first.offset() + ")";
            }
        }
        if (raw == null) {
            throw new RestoreException(name + ": did not find the superblock (bytenr 65536) in the first cluster");
        }
        if (raw.length != Superblock.SIZE) {
            throw new RestoreException(sbWhere + " holds " + raw.length + " bytes, not " + Superblock.SIZE);
        }
        Superblock sb;
        try {
            sb = Superblock.parse(raw, sbWhere);
        } catch (BtrfsFormatException e) {
            throw new RestoreException(e.getMessage());
        }
        validateForRestore(sb, sbWhere);
        io.sparkbtrfs.format.SystemRanges system = io.sparkbtrfs.format.SystemRanges.of(sb);
        wanted.system = system;
        int limit = reader.version().itemLimit();
        List<ChunkItem> chunks = new ArrayList<>();
        Map<Long, byte[]> devItems = new TreeMap<>();
        byte[] fsid = sb.metadataFsid();
        int nodesize = sb.nodesize();
        byte[] piece = new byte[PIECE];
        Inflater inflater = new Inflater();
        try {
            // Only items that reach into a system chunk are read; the others are skipped, not copied.
            for (ImageReader.Cluster c = first; c != null; c = reader.next(wanted)) {
                for (int i = 0; i < c.size(); i++) {
                    long bytenr = c.bytenrs()[i];
                    if ((c.payloads() != null && c.payloads()[i] == null) || bytenr == Superblock.PRIMARY_OFFSET
                            || !system.intersects(bytenr, limit)) {
                        continue;
                    }
                    String item = name + ": item " + i + " of cluster at offset " + c.offset();
                    try {
                        c.forEachPiece(i, limit, piece, inflater, (offset, content, len) -> {
                            for (int off = 0; off + nodesize <= len; off += nodesize) {
                                long logical = bytenr + offset + off;
                                if (!system.intersects(logical, nodesize)) {
                                    continue;
                                }
                                String where = item + ", block " + Long.toUnsignedString(logical) + " in a system chunk";
                                checkChunkTreeBlock(content, off, logical, fsid, where);
                                if (TreeBlock.level(content, off) == 0) {
                                    collect(content, off, nodesize, chunks, devItems, where);
                                }
                            }
                        });
                    } catch (DataFormatException e) {
                        throw new RestoreException(item + ": " + e.getMessage());
                    }
                }
            }
        } finally {
            inflater.end();
        }
        return new ImageHeader(reader.magic(), raw, sb, place(chunks, name), List.copyOf(chunks), devItems);
    }

    private static void validateForRestore(Superblock sb, String where) throws RestoreException {
        String why = null;
        if (sb.totalBytes() == 0) {
            why = "total_bytes is 0";
        } else if (sb.numDevices() == 0 || Long.compareUnsigned(sb.numDevices(), 1L << 31) > 0) {
            why = "num_devices is " + Long.toUnsignedString(sb.numDevices());
        } else if ((sb.root() & 4095) != 0 || (sb.chunkRoot() & 4095) != 0 || (sb.logRoot() & 4095) != 0) {
            why = "a tree root is not 4 KiB aligned";
        }
        if (why != null) {
            throw new RestoreException(where + ": invalid superblock: " + why);
        }
    }

    /**
     * The items phase 1 reads: the superblock, then those that reach into a system chunk. The system chunks
     * are known once the superblock is read, which is the first item of the first cluster in every image:
     * a small image, one cluster, is then not copied whole to find its chunk tree. Until then (a compressed
     * or unparsable superblock) every item is kept, as before.
     */
    private static final class SystemItems implements ImageReader.ItemFilter {
        private io.sparkbtrfs.format.SystemRanges system;

        @Override
        public boolean keep(long bytenr, long span) {
            return bytenr == Superblock.PRIMARY_OFFSET || system == null || system.intersects(bytenr, span);
        }

        @Override
        public void read(long bytenr, byte[] payload, int flag) {
            if (system == null && bytenr == Superblock.PRIMARY_OFFSET && flag == MetadumpFormat.COMPRESS_NONE
                    && payload.length == Superblock.SIZE) {
                try {
                    system = io.sparkbtrfs.format.SystemRanges.of(Superblock.parse(payload, "superblock"));
                } catch (BtrfsFormatException e) {
                    // left to the caller, which parses it again and reports where it is
                }
            }
        }
    }

    private static byte[] inflate(ImageReader.Cluster c, int i, int limit, String name) throws RestoreException {
        try {
            return c.content(i, limit);
        } catch (DataFormatException e) {
            throw new RestoreException(name + ": item " + i + " of cluster at offset " + c.offset() + ": "
                    + e.getMessage());
        }
    }

    private static void checkChunkTreeBlock(byte[] b, int off, long logical, byte[] fsid, String where)
            throws RestoreException {
        if (TreeBlock.bytenr(b, off) != logical) {
            throw new RestoreException(where + ": header bytenr " + Long.toUnsignedString(TreeBlock.bytenr(b, off))
                    + " does not match");
        }
        if (!TreeBlock.hasFsid(b, off, fsid)) {
            throw new RestoreException(where + ": fsid does not match the superblock's");
        }
        if (TreeBlock.owner(b, off) != Key.CHUNK_TREE_OBJECTID) {
            throw new RestoreException(where + ": owner " + TreeBlock.owner(b, off) + " is not the chunk tree");
        }
    }

    private static void collect(byte[] b, int off, int nodesize, List<ChunkItem> out, Map<Long, byte[]> devItems,
            String where) throws RestoreException {
        long n = TreeBlock.nritems(b, off);
        if (n > TreeBlock.maxItems(nodesize, 0)) {
            throw new RestoreException(where + ": " + n + " items do not fit in a leaf");
        }
        for (int slot = 0; slot < n; slot++) {
            int type = TreeBlock.itemType(b, off, slot);
            if (type == Key.DEV_ITEM && TreeBlock.itemInBounds(b, off, nodesize, slot, (int) n)
                    && TreeBlock.itemSize(b, off, slot) >= DevItem.SIZE) {
                int data = TreeBlock.itemDataStart(b, off, slot);
                devItems.put(TreeBlock.itemKey(b, off, slot).offset(),
                        java.util.Arrays.copyOfRange(b, data, data + DevItem.SIZE));
                continue;
            }
            if (type != Key.CHUNK_ITEM) {
                continue;
            }
            if (!TreeBlock.itemInBounds(b, off, nodesize, slot, (int) n)) {
                throw new RestoreException(where + ": chunk item " + slot + " lies outside the block");
            }
            Key key = TreeBlock.itemKey(b, off, slot);
            try {
                out.add(ChunkItem.parse(key.offset(), b, TreeBlock.itemDataStart(b, off, slot),
                        (int) TreeBlock.itemSize(b, off, slot), where));
            } catch (BtrfsFormatException e) {
                throw new RestoreException(e.getMessage());
            }
        }
    }

    /**
     * Stripe 0 of each chunk is where it goes (stripe 1 too for DUP). Chunks colliding with an earlier
     * one are moved, last found first, to the end of everything placed so far. Unlike the reference
     * (bug 14), that end counts the physical offset of non-DUP chunks too.
     */
    static RestoreMap place(List<ChunkItem> chunks, String name) throws RestoreException {
        List<Placement> placed = new ArrayList<>();
        TreeMap<Long, Placement> byLogical = new TreeMap<>(Long::compareUnsigned);
        TreeMap<Long, Long> physicalIndex = new TreeMap<>(Long::compareUnsigned); // start -> end
        List<Placement> overlapping = new ArrayList<>();
        long lastPhysical = 0;
        for (ChunkItem c : chunks) {
            boolean dup = (c.type() & ChunkItem.DUP) != 0 && c.numStripes() > 1;
            Placement p = new Placement(c.start(), c.length(), c.offset(0), dup ? c.offset(1) : 0, c.type());
            Placement same = byLogical.get(c.start());
            if (same != null && same.equals(p)) {
                continue; // the same chunk item seen in two copies of a block
            }
            var below = byLogical.floorEntry(c.start());
            var above = byLogical.ceilingEntry(c.start());
            if ((below != null && below.getValue().contains(c.start()))
                    || (above != null && Long.compareUnsigned(above.getKey() - c.start(), c.length()) < 0)) {
                throw new RestoreException(name + ": chunk " + c + " overlaps another chunk's logical range");
            }
            byLogical.put(c.start(), p);
            if (overlapsPhysical(physicalIndex, p.physical(), p.length())) {
                overlapping.add(0, p);
            } else {
                physicalIndex.put(p.physical(), p.physical() + p.length());
                placed.add(p);
            }
            lastPhysical = max(lastPhysical, p.physical() + p.length());
            if (dup) {
                lastPhysical = max(lastPhysical, p.physicalDup() + p.length());
            }
        }
        boolean clearCache = false;
        for (Placement p : overlapping) {
            for (long mirror : Superblock.COPY_OFFSETS) {
                if (Long.compareUnsigned(mirror - p.physical(), p.length()) < 0) {
                    clearCache = true;
                }
            }
            Placement moved = p.movedTo(lastPhysical);
            if (overlapsPhysical(physicalIndex, moved.physical(), moved.length())) {
                throw new RestoreException(name + ": cannot place chunk at " + Long.toUnsignedString(p.logical()));
            }
            physicalIndex.put(moved.physical(), moved.physical() + moved.length());
            placed.add(moved);
            lastPhysical += p.length();
        }
        return new RestoreMap(placed, clearCache);
    }

    private static boolean overlapsPhysical(TreeMap<Long, Long> index, long start, long length) {
        var below = index.floorEntry(start);
        if (below != null && Long.compareUnsigned(below.getValue(), start) > 0) {
            return true;
        }
        var above = index.higherEntry(start);
        return above != null && Long.compareUnsigned(above.getKey() - start, length) < 0;
    }

    private static long max(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }
}
