package io.sparkbtrfs.device;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an executor needs to read a filesystem without re-reading its chunk tree: where each device
 * is, the chunk map and the primary superblock. Small and serializable, meant to be broadcast.
 */
public final class VolumeDescriptor implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String primary;
    private final TreeMap<Long, String> devices;
    private final ChunkMap chunkMap;
    private final byte[] superblock;
    private final boolean superblockRepaired;

    public VolumeDescriptor(String primary, Map<Long, String> devices, ChunkMap chunkMap, byte[] superblock) {
        this(primary, devices, chunkMap, superblock, false);
    }

    /** @param superblockRepaired the superblock came from a backup copy and replaces the damaged primary */
    public VolumeDescriptor(String primary, Map<Long, String> devices, ChunkMap chunkMap, byte[] superblock,
            boolean superblockRepaired) {
        this.superblockRepaired = superblockRepaired;
        this.primary = primary;
        this.devices = new TreeMap<>(devices);
        this.chunkMap = chunkMap;
        this.superblock = superblock.clone();
    }

    /** The device named as the source; its superblock is the one stored in the image. */
    public String primary() {
        return primary;
    }

    public Map<Long, String> devices() {
        return java.util.Collections.unmodifiableMap(devices);
    }

    public ChunkMap chunkMap() {
        return chunkMap;
    }

    public boolean superblockRepaired() {
        return superblockRepaired;
    }

    public byte[] superblock() {
        return superblock.clone();
    }
}
