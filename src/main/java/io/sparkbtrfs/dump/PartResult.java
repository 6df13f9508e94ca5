package io.sparkbtrfs.dump;

import java.io.Serializable;

import io.sparkbtrfs.device.ReadCounts;

/**
 * What writing a run of clusters produced: its byte length, where each cluster starts relative to the
 * part, the last index block written (for the stale-entry bytes of the next part's final cluster) and
 * counters for the summary ({@code reads}: what reading the source cost while the part was written, exact where the
 * part had its volume to itself, as a Spark task has).
 */
public record PartResult(int part, long length, long[] clusterOffsets, byte[] lastIndex, long blocks, long bytesIn,
        Object transformStats, java.util.List<BlockProblem> problems, ReadCounts reads) implements Serializable {

    public PartResult(int part, long length, long[] clusterOffsets, byte[] lastIndex, long blocks, long bytesIn) {
        this(part, length, clusterOffsets, lastIndex, blocks, bytesIn, null, java.util.List.of(), ReadCounts.NONE);
    }

    public int clusters() {
        return clusterOffsets.length;
    }
}
