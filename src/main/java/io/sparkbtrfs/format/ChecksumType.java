package io.sparkbtrfs.format;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32C;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;
import org.bouncycastle.crypto.digests.Blake2bDigest;

/**
 * The checksum algorithms of btrfs (superblock field {@code csum_type}). A checksum covers bytes
 * {@code 32..end} of a tree block or superblock and is stored at offset 0; bytes past {@link #size()}
 * of the 32-byte field are not part of it.
 */
public enum ChecksumType {
    CRC32C(0, 4, "crc32c"),
    XXHASH64(1, 8, "xxhash64"),
    SHA256(2, 32, "sha256"),
    BLAKE2B(3, 32, "blake2b");

    /** Size of the checksum field at the start of every tree block and superblock. */
    public static final int FIELD_SIZE = 32;

    private final int id;
    private final int size;
    private final String displayName;

    ChecksumType(int id, int size, String displayName) {
        this.id = id;
        this.size = size;
        this.displayName = displayName;
    }

    public int id() {
        return id;
    }

    /** Number of meaningful bytes of the checksum field. */
    public int size() {
        return size;
    }

    public String displayName() {
        return displayName;
    }

    /** The type with on-disk id {@code id}, or null if btrfs knows no such type. */
    public static ChecksumType fromId(int id) {
        for (ChecksumType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** Computes the checksum of {@code block[off+32 .. off+len)} into {@code out[0 .. size())}. */
    public void compute(byte[] block, int off, int len, byte[] out) {
        int from = off + FIELD_SIZE;
        int n = len - FIELD_SIZE;
        switch (this) {
            case CRC32C -> {
                CRC32C crc = new CRC32C();
                crc.update(block, from, n);
                LittleEndian.put32(out, 0, crc.getValue());
            }
            case XXHASH64 -> LittleEndian.put64(out, 0, Xxh.INSTANCE.hash(block, from, n, 0));
            case SHA256 -> {
                try {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    md.update(block, from, n);
                    System.arraycopy(md.digest(), 0, out, 0, 32);
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
                }
            }
            case BLAKE2B -> {
                Blake2bDigest d = new Blake2bDigest(256);
                d.update(block, from, n);
                d.doFinal(out, 0);
            }
            default -> throw new AssertionError(this);
        }
    }

    /** Whether the stored checksum of {@code block[off .. off+len)} is correct. */
    public boolean verify(byte[] block, int off, int len) {
        byte[] sum = new byte[FIELD_SIZE];
        compute(block, off, len, sum);
        for (int i = 0; i < size; i++) {
            if (sum[i] != block[off + i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Recomputes and stores the checksum; only the first {@link #size()} bytes are written, the rest of
     * the field keeps what the block had (as the reference does for the bytes it does not own).
     */
    public void store(byte[] block, int off, int len) {
        byte[] sum = new byte[FIELD_SIZE];
        compute(block, off, len, sum);
        System.arraycopy(sum, 0, block, off, size);
    }

    /** Lazily resolved so that filesystems without xxhash never load the JNI library. */
    private static final class Xxh {
        static final XXHash64 INSTANCE = XXHashFactory.fastestInstance().hash64();
    }
}
