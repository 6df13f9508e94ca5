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
import java.util.zip.Inflater;

import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.format.TreeRoot;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.ImageVersion;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.restore.ChunkMapBuilder;
import io.sparkbtrfs.restore.ImageCompleteness;
import io.sparkbtrfs.restore.ImageHeader;
import io.sparkbtrfs.restore.RestoreException;
import io.sparkbtrfs.restore.Restorer;

/**
 * Reads a whole metadump image once and reports what it holds ({@code info}) and whatever is wrong with
 * it ({@code verify}): every cluster decoded, every tree block checked (checksum with the filesystem's
 * algorithm, header address, fsid, level, item count), and the root blocks
 * the filesystem needs to open present ({@link ImageCompleteness}); each problem names the cluster's file
 * offset, the item and the block. Items are inflated in pieces, with the limits restore applies, so a
 * hostile image costs bounded time and memory.
 */
public final class ImageInspector {
    private static final int PIECE = 512 * 1024;

    private ImageInspector() {
    }

    /**
     * What the image holds, and what is wrong with it. {@code unreadable} is the first problem that kept
     * part of the image from being decoded (not an image, truncated, an item that does not inflate), null
     * if every item was read: then the counts describe the whole image.
     */
    public record Report(String image, long magic, int compress, int clusters, long items, long storedBytes,
            long contentBytes, long treeBlocks, Superblock superblock, Map<Long, Long> blocksByOwner,
            List<String> problems, String unreadable) {

        public String version() {
            return magic == MetadumpFormat.MAGIC_V1 ? "v1 (_DUmP_v1)"
                    : magic == MetadumpFormat.MAGIC_ZSTD ? "zstd (spark-btrfs-image only, not readable by btrfs-image)"
                    : magic == MetadumpFormat.MAGIC_ZSTD_STREAM
                            ? "zstd stream (spark-btrfs-image only, not readable by btrfs-image)"
                    : "v0";
        }
    }

    public static Report inspect(Path image) throws IOException {
        return new Inspection(image.toString()).run(image);
    }

    /** The state of one pass over an image. */
    private static final class Inspection {
        private final String name;
        private final List<String> problems = new ArrayList<>();
        private final Map<Long, Long> owners = new TreeMap<>();
        private final byte[] piece = new byte[PIECE];
        private final Inflater inflater = new Inflater();
        private ImageHeader header;
        private Superblock sb;
        private List<ChunkItem> chunks = new ArrayList<>();
        private ImageCompleteness completeness;
        private String unreadable;
        private long blocks;

        Inspection(String name) {
            this.name = name;
        }

        Report run(Path image) throws IOException {
            try (InputStream in = open(image)) {
                header = ChunkMapBuilder.read(in, name);
                sb = header.superblock();
                chunks.addAll(sb.systemChunks());
                chunks.addAll(header.chunks());
                completeness = new ImageCompleteness(sb);
            } catch (ImageFormatException | RestoreException e) {
                unreadable(e.getMessage(), e.getMessage());
            }
            long magic = 0;
            int compress = -1;
            int clusters = 0;
            long items = 0;
            long stored = 0;
            long content = 0;
            try (InputStream in = open(image)) {
                ImageReader reader = new ImageReader(in, name);
                for (ImageReader.Cluster c = reader.next(); c != null; c = reader.next()) {
                    magic = reader.magic();
                    compress = c.compress();
                    clusters++;
                    stored += c.storedBytes();
                    for (int i = 0; i < c.size(); i++) {
                        items++;
                        content += item(c, i, reader.magic());
                    }
                }
            } catch (ImageFormatException e) {
                unreadable(e.getMessage(), e.getMessage());
            } finally {
                inflater.end();
            }
            if (completeness != null && unreadable == null) {
                for (TreeRoot r : completeness.missing()) {
                    problems.add(name + ": the image lacks " + r.describe() + (completeness.bestEffortDump()
                            ? " (it holds invalid blocks, as a --best-effort dump of a damaged filesystem does)" : ""));
                }
            }
            return new Report(name, magic, compress, clusters, items, stored, content, blocks, sb, owners, problems,
                    unreadable);
        }

        /** A problem that keeps part of the image from being read; {@code line} names the image. */
        private void unreadable(String problem, String line) {
            problems.add(problem);
            if (unreadable == null) {
                unreadable = line;
            }
        }

        /** Checks item {@code i} of {@code c}; returns its content length (0 if it does not decode). */
        private long item(ImageReader.Cluster c, int i, long magic) {
            long bytenr = c.bytenrs()[i];
            boolean treeBlocks = bytenr != Superblock.PRIMARY_OFFSET && sb != null && !isDataOnly(chunks, bytenr);
            int limit = header != null ? Restorer.itemLimit(header, bytenr) : ImageVersion.of(magic).itemLimit();
            long[] w = {c.offset(), i, bytenr};
            List<String> found = new ArrayList<>();
            try {
                long length = c.forEachPiece(i, limit, piece, inflater, (offset, buf, len) -> {
                    if (treeBlocks) {
                        checkBlocks(buf, len, w, bytenr + offset, found);
                    }
                });
                if (treeBlocks && length % sb.nodesize() != 0) {
                    found.add(at(w, bytenr) + ": " + length + " bytes is not a whole number of " + sb.nodesize()
                            + "-byte tree blocks");
                }
                problems.addAll(found);
                return length;
            } catch (DataFormatException e) {
                // What it inflated to before failing is not content: its blocks' problems would be noise.
                String problem = at(w, bytenr) + ": " + e.getMessage();
                unreadable(problem, name + ": " + problem);
                return 0;
            }
        }

        /** Checks the whole tree blocks of {@code data[0 .. len)}, the first at {@code logical}. */
        private void checkBlocks(byte[] data, int len, long[] w, long logical, List<String> found) {
            int nodesize = sb.nodesize();
            for (int off = 0; off + nodesize <= len; off += nodesize) {
                long at = logical + off;
                blocks++;
                String why = TreeBlock.validate(data, off, nodesize, at, sb.checksumType(), sb.metadataFsid());
                if (why == null && !zero(data, off + sb.checksumType().size(), off + ChecksumType.FIELD_SIZE)) {
                    why = "non-zero bytes in the unused part of the checksum field";
                }
                if (why != null) {
                    found.add(at(w, at) + ": " + why);
                    completeness.invalidBlock();
                } else {
                    owners.merge(TreeBlock.owner(data, off), 1L, Long::sum);
                    completeness.validBlock(data, off);
                }
            }
        }
    }

    private static InputStream open(Path image) throws IOException {
        return new java.io.BufferedInputStream(Files.newInputStream(image), 1 << 20);
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
        return io.sparkbtrfs.format.TreeNames.of(owner);
    }

}
