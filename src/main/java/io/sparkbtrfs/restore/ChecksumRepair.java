package io.sparkbtrfs.restore;

import java.util.concurrent.atomic.AtomicLong;

import io.sparkbtrfs.format.ChecksumType;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.TreeBlock;

/**
 * Gives tree blocks the filesystem's own checksum where the image carries CRC-32C instead: the reference
 * dumper writes CRC-32C into every block whatever the filesystem's {@code csum_type} (spec bug 3), so its
 * images of xxhash64, sha256 and blake2b filesystems would restore into a filesystem whose every block
 * fails its checksum. A block is rewritten only when its checksum is wrong for the filesystem's type and
 * right as CRC-32C; blocks that already check (our images) and damaged ones (kept as read by a best-effort
 * dump, so that the damage stays visible) are left alone. Thread-safe: restore workers share one.
 */
final class ChecksumRepair {
    private final int nodesize;
    private final byte[] fsid;
    private final ChecksumType csum;
    private final AtomicLong repaired = new AtomicLong();

    private ChecksumRepair(int nodesize, byte[] fsid, ChecksumType csum) {
        this.nodesize = nodesize;
        this.fsid = fsid;
        this.csum = csum;
    }

    /** The repair for a filesystem described by {@code sb}, or null when it uses CRC-32C (nothing to repair). */
    static ChecksumRepair forFilesystem(Superblock sb) {
        return sb.checksumType() == ChecksumType.CRC32C ? null
                : new ChecksumRepair(sb.nodesize(), sb.metadataFsid(), sb.checksumType());
    }

    /** Repairs the tree blocks of {@code buf[0..len)}, which holds logical {@code logical} onwards. */
    void repair(byte[] buf, int len, long logical) {
        for (int off = 0; off + nodesize <= len; off += nodesize) {
            if (!TreeBlock.isAt(buf, off, logical + off, fsid)) {
                return; // not tree blocks (v1 space-cache data): leave the rest of the piece alone
            }
            if (!csum.verify(buf, off, nodesize) && ChecksumType.CRC32C.verify(buf, off, nodesize)) {
                csum.store(buf, off, nodesize);
                repaired.incrementAndGet();
            }
        }
    }

    /** The summary's note, or null when no block needed it. */
    String note() {
        long n = repaired.get();
        return n == 0 ? null
                : "re-checksummed " + n + " tree blocks with the filesystem's " + csum.displayName()
                        + " (the image carried crc32c)";
    }
}
