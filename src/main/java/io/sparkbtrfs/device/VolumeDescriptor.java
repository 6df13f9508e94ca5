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
    /** Lengths of the devices that are remote files (URIs), so that executors open them without asking. */
    private final TreeMap<Long, Long> lengths;

    public VolumeDescriptor(String primary, Map<Long, String> devices, ChunkMap chunkMap, byte[] superblock) {
        this(primary, devices, chunkMap, superblock, false);
    }

    public VolumeDescriptor(String primary, Map<Long, String> devices, ChunkMap chunkMap, byte[] superblock,
            boolean superblockRepaired) {
        this(primary, devices, chunkMap, superblock, superblockRepaired, Map.of());
    }

    /** @param superblockRepaired the superblock came from a backup copy and replaces the damaged primary */
    public VolumeDescriptor(String primary, Map<Long, String> devices, ChunkMap chunkMap, byte[] superblock,
            boolean superblockRepaired, Map<Long, Long> lengths) {
        this.lengths = new TreeMap<>(lengths);
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

    /** The length of device {@code devid} as the driver found it, or -1 if it is not recorded. */
    public long length(long devid) {
        Long n = lengths.get(devid);
        return n == null ? -1 : n;
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
