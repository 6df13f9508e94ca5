package io.sparkbtrfs.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.DataFormatException;

import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Superblock;

/**
 * What the first items of an image say about it, for a chain of images: a full image's superblock; a delta's
 * header, full dump plan (as stored, see {@code PlanCodec}) and superblock. Every length is checked before it is
 * trusted: a hostile image fails with its name and the offset of the cluster at fault.
 *
 * @param header null for a full image
 * @param plan the plan's bytes (null for a full image, or when not asked for)
 * @param superblockItem the superblock item as the image stores it
 */
public record ImageHead(long magic, DeltaHeader header, byte[] plan, byte[] superblockItem, Superblock superblock) {

    public boolean isDelta() {
        return header != null;
    }

    /** The generation of the filesystem state the image holds. */
    public long generation() {
        return superblock.generation();
    }

    /** crc32c of the superblock item: ties a delta to this very image of its base. */
    public int superblockCrc() {
        return DeltaRecords.crc(superblockItem, 0, superblockItem.length);
    }

    /** Reads the head of the image {@code in} ({@code name} in messages); {@code withPlan}: keep a delta's plan. */
    public static ImageHead read(InputStream in, String name, boolean withPlan) throws IOException,
            ImageFormatException {
        ImageReader reader = new ImageReader(in, name);
        DeltaHeader header = null;
        ByteArrayOutputStream plan = null;
        java.util.zip.CRC32C planCrc = new java.util.zip.CRC32C();
        long planBytesSeen = 0;
        int record = 0;
        ImageReader.Cluster c;
        // The head ends at the first item that is not a record (the superblock): the payloads after it are skipped.
        boolean[] past = {false};
        ImageReader.ItemFilter head = (bytenr, span) -> {
            boolean keep = !past[0];
            past[0] |= Long.compareUnsigned(bytenr, MetadumpFormat.RECORD_LIMIT) >= 0;
            return keep;
        };
        while ((c = reader.next(head)) != null) {
            boolean delta = reader.magic() == MetadumpFormat.MAGIC_DELTA;
            for (int i = 0; i < c.size(); i++) {
                long bytenr = c.bytenrs()[i];
                String where = name + ": cluster at offset " + c.offset() + ", item " + i;
                byte[] content;
                try {
                    content = c.content(i, reader.version().itemLimit());
                } catch (DataFormatException e) {
                    throw new ImageFormatException(where + ": " + e.getMessage());
                }
                boolean expectRecord = delta && (header == null || record <= header.planRecords());
                if (expectRecord) {
                    if (bytenr != record) {
                        throw new ImageFormatException(where + ": item at " + Long.toUnsignedString(bytenr)
                                + " where delta record " + record + " belongs");
                    }
                    if (header == null) {
                        header = DeltaHeader.decode(DeltaRecords.decode(content, DeltaRecords.TYPE_HEADER, where),
                                where);
                        plan = new ByteArrayOutputStream();
                    } else {
                        DeltaRecords.Body body = DeltaRecords.decode(content, DeltaRecords.TYPE_PLAN, where);
                        if (plan.size() + (long) body.length() > header.planBytes()) {
                            throw new ImageFormatException(where + ": plan records hold more than the header's "
                                    + header.planBytes() + " bytes");
                        }
                        planCrc.update(body.content(), body.offset(), body.length());
                        if (withPlan) {
                            plan.write(body.content(), body.offset(), body.length());
                        }
                        planBytesSeen += body.length();
                    }
                    record++;
                    continue;
                }
                if (delta && planBytesSeen != header.planBytes()) {
                    throw new ImageFormatException(where + ": the plan records hold " + planBytesSeen + " of "
                            + header.planBytes() + " bytes");
                }
                if (delta && (int) planCrc.getValue() != header.planCrc()) {
                    throw new ImageFormatException(where + ": plan checksum mismatch (damaged delta)");
                }
                if (bytenr != Superblock.PRIMARY_OFFSET || content.length != Superblock.SIZE) {
                    throw new ImageFormatException(where + ": the first item is at " + Long.toUnsignedString(bytenr)
                            + " (" + content.length + " bytes), not the superblock");
                }
                Superblock sb;
                try {
                    sb = Superblock.parse(content, where);
                } catch (BtrfsFormatException e) {
                    throw new ImageFormatException(e.getMessage());
                }
                if (header != null && (!java.util.Arrays.equals(header.fsid(), sb.fsid())
                        || header.generation() != sb.generation() || header.nodesize() != sb.nodesize())) {
                    throw new ImageFormatException(where + ": the delta's header does not describe its superblock");
                }
                return new ImageHead(reader.magic(), header, header == null || !withPlan ? null : plan.toByteArray(),
                        content, sb);
            }
        }
        throw new ImageFormatException(name + ": truncated: the image ends before its superblock");
    }
}
