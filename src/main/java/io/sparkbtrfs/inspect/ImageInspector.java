package io.sparkbtrfs.inspect;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.DataFormatException;

import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.restore.ChunkMapBuilder;
import io.sparkbtrfs.restore.ImageHeader;
import io.sparkbtrfs.restore.RestoreException;

/**
 * Reads a whole metadump image once and reports what it holds ({@code info}) and whatever is wrong with
 * it ({@code verify}): every cluster decoded, every tree block checked (checksum with the filesystem's
 * algorithm, header address, fsid, level, item count); each problem names the cluster's file offset, the
 * item and the block.
 */
public final class ImageInspector {
    private static final int CONTENT_LIMIT = (int) (2 * MetadumpFormat.MAX_PENDING_V1);

    private ImageInspector() {
    }

    /** What the image holds, and what is wrong with it. */
    public record Report(String image, long magic, int compress, int clusters, long items, long storedBytes,
            long contentBytes, long treeBlocks, Superblock superblock, Map<Long, Long> blocksByOwner,
            List<String> problems) {

        public String version() {
            return magic == MetadumpFormat.MAGIC_V1 ? "v1 (_DUmP_v1)"
                    : magic == MetadumpFormat.MAGIC_ZSTD ? "zstd (spark-btrfs-image only, not readable by btrfs-image)"
                    : magic == MetadumpFormat.MAGIC_ZSTD_STREAM
                            ? "zstd stream (spark-btrfs-image only, not readable by btrfs-image)"
                    : "v0";
        }
    }

    public static Report inspect(Path image) throws IOException {
        String name = image.toString();
        List<String> problems = new ArrayList<>();
        Superblock sb = null;
        List<ChunkItem> chunks = new ArrayList<>();
        try (InputStream in = open(image)) {
            ImageHeader header = ChunkMapBuilder.read(in, name);
            sb = header.superblock();
            chunks.addAll(sb.systemChunks());
            chunks.addAll(header.chunks());
        } catch (ImageFormatException | RestoreException e) {
            problems.add(e.getMessage());
        }
        long magic = 0;
        int compress = -1;
        int clusters = 0;
        long items = 0;
        long stored = 0;
        long content = 0;
        long blocks = 0;
        Map<Long, Long> owners = new TreeMap<>();
        try (InputStream in = open(image)) {
            ImageReader reader = new ImageReader(in, name);
            for (ImageReader.Cluster c = reader.next(); c != null; c = reader.next()) {
                magic = reader.magic();
                compress = c.compress();
                clusters++;
                stored += c.storedBytes();
                for (int i = 0; i < c.size(); i++) {
                    items++;
                    long bytenr = c.bytenrs()[i];
                    long[] w = {c.offset(), i, bytenr};
                    byte[] data;
                    try {
                        data = c.content(i, CONTENT_LIMIT);
                    } catch (DataFormatException e) {
                        problems.add(at(w, bytenr) + ": " + e.getMessage());
                        continue;
                    }
                    content += data.length;
                    if (bytenr != Superblock.PRIMARY_OFFSET && sb != null && !isDataOnly(chunks, bytenr)) {
                        blocks += checkBlocks(sb, data, w, owners, problems);
                    }
                }
            }
        } catch (ImageFormatException e) {
            problems.add(e.getMessage());
        }
        return new Report(name, magic, compress, clusters, items, stored, content, blocks, sb, owners, problems);
    }

    private static InputStream open(Path image) throws IOException {
        return new java.io.BufferedInputStream(Files.newInputStream(image), 1 << 20);
    }

    private static long checkBlocks(Superblock sb, byte[] data, long[] w, Map<Long, Long> owners,
            List<String> problems) {
        int nodesize = sb.nodesize();
        if (data.length % nodesize != 0) {
            problems.add(at(w, w[2]) + ": " + data.length + " bytes is not a whole number of " + nodesize
                    + "-byte tree blocks");
            return 0;
        }
        long blocks = 0;
        for (int off = 0; off < data.length; off += nodesize) {
            long logical = w[2] + off;
            blocks++;
            String why = TreeBlock.validate(data, off, nodesize, logical, sb.checksumType(), sb.metadataFsid());
            if (why == null && !zero(data, off + sb.checksumType().size(), off + 32)) {
                why = "non-zero bytes in the unused part of the checksum field";
            }
            if (why != null) {
                problems.add(at(w, logical) + ": " + why);
            } else {
                owners.merge(TreeBlock.owner(data, off), 1L, Long::sum);
            }
        }
        return blocks;
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code logical} is in a chunk holding data only (its item is file data, not tree blocks). */
    private static boolean isDataOnly(List<ChunkItem> chunks, long logical) {
        for (ChunkItem c : chunks) {
            if (c.contains(logical)) {
                return (c.type() & ChunkItem.TREE_BLOCK_KINDS) == 0;
            }
        }
        return false;
    }

    static String at(long[] w, long logical) {
        return "cluster at offset " + w[0] + ", item " + w[1] + ", block " + Long.toUnsignedString(logical);
    }

    /** A few well-known tree names for the report. */
    public static String treeName(long owner) {
        return switch ((int) owner) {
            case 1 -> "root";
            case 2 -> "extent";
            case 3 -> "chunk";
            case 4 -> "dev";
            case 5 -> "fs";
            case 7 -> "csum";
            case 8 -> "quota";
            case 9 -> "uuid";
            case 10 -> "free-space";
            case 11 -> "block-group";
            case 12 -> "raid-stripe";
            case 13 -> "remap";
            case -6 -> "log";
            case -7 -> "log-root";
            case -8 -> "reloc";
            case -9 -> "data-reloc";
            default -> owner >= 256 ? "subvolume " + owner : "tree " + owner;
        };
    }

}
