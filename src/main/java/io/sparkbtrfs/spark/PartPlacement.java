package io.sparkbtrfs.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;

import io.sparkbtrfs.device.BlockSources;
import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.PartSpec;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.store.Storage;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The RDD of parts (or of an exchange's runs of items), one partition each, with preferred locations when the source
 * lives on HDFS: the hosts holding most of its items' bytes (each item's first copy, through the chunk map to its physical
 * offset and the HDFS block there). One {@code getFileBlockLocations} call per device, on the driver.
 * Elsewhere (local files, object stores) the parts have no preference.
 */
final class PartPlacement {
    /** At most this many preferred hosts per part (HDFS replication is usually 3). */
    private static final int MAX_HOSTS = 3;

    private PartPlacement() {
    }

    /** One element per part, placed near its data where the source tells. */
    static JavaRDD<PartSpec> rdd(JavaSparkContext sc, Configuration conf, VolumeDescriptor volume, ItemPlan plan,
            List<PartSpec> specs) {
        return placed(sc, specs, hosts(conf, volume, plan, specs), PartSpec.class);
    }

    /** One element per run of items (an exchange's producers), placed near its data where the source tells. */
    static JavaRDD<int[]> runs(JavaSparkContext sc, Configuration conf, VolumeDescriptor volume, ItemPlan plan,
            List<int[]> runs) {
        return placed(sc, runs, hostsOfItems(conf, volume, plan, runs), int[].class);
    }

    /** One partition per element, element i preferring {@code hosts.get(i)} (none if {@code hosts} is null). */
    private static <T> JavaRDD<T> placed(JavaSparkContext sc, List<T> elements, List<List<String>> hosts,
            Class<T> type) {
        if (hosts == null) {
            return sc.parallelize(elements, elements.size());
        }
        List<Tuple2<T, scala.collection.immutable.Seq<String>>> withHosts = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++) {
            withHosts.add(new Tuple2<>(elements.get(i),
                    scala.jdk.javaapi.CollectionConverters.asScala(hosts.get(i)).toSeq()));
        }
        ClassTag<T> tag = ClassTag$.MODULE$.apply(type);
        RDD<T> rdd = sc.sc().makeRDD(scala.jdk.javaapi.CollectionConverters.asScala(withHosts).toSeq(), tag);
        return new JavaRDD<>(rdd, tag);
    }

    /** The preferred hosts of each part ({@link #hostsOfItems}). */
    static List<List<String>> hosts(Configuration conf, VolumeDescriptor volume, ItemPlan plan, List<PartSpec> specs) {
        List<int[]> items = new ArrayList<>(specs.size());
        for (PartSpec spec : specs) {
            items.add(java.util.stream.IntStream.range(spec.firstItem(plan), spec.endItem(plan)).toArray());
        }
        return hostsOfItems(conf, volume, plan, items);
    }

    /**
     * The preferred hosts of each group of items (a part's, a producer's), best first, or null when no device is
     * on HDFS or its block locations cannot be had (placement is an optimisation: the dump goes on without it).
     */
    static List<List<String>> hostsOfItems(Configuration conf, VolumeDescriptor volume, ItemPlan plan,
            List<int[]> groups) {
        Map<Long, BlockLocation[]> blocks = new HashMap<>();
        try {
            for (Map.Entry<Long, String> device : volume.devices().entrySet()) {
                if (!BlockSources.isUri(device.getValue())) {
                    continue;
                }
                Path path = Storage.toPath(device.getValue());
                FileSystem fs = Storage.fileSystem(path, conf);
                if (fs instanceof DistributedFileSystem) {
                    FileStatus status = fs.getFileStatus(path);
                    BlockLocation[] locations = fs.getFileBlockLocations(status, 0, status.getLen());
                    Arrays.sort(locations, Comparator.comparingLong(BlockLocation::getOffset));
                    blocks.put(device.getKey(), locations);
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (blocks.isEmpty()) {
            return null;
        }
        List<List<String>> out = new ArrayList<>(groups.size());
        for (int[] group : groups) {
            Map<String, Long> weight = new HashMap<>();
            for (int item : group) {
                if (plan.kind(item) == ItemPlan.SUPERBLOCK || plan.kind(item) == ItemPlan.RECORD) {
                    continue;
                }
                ChunkItem chunk = volume.chunkMap().find(plan.start(item));
                if (chunk == null) {
                    continue;
                }
                ChunkItem.Location at = chunk.locate(plan.start(item), 0);
                BlockLocation block = blockAt(blocks.get(at.devid()), at.physical());
                if (block == null) {
                    continue;
                }
                for (String host : hostsOf(block)) {
                    weight.merge(host, (long) plan.length(item), Long::sum);
                }
            }
            List<String> best = new ArrayList<>(weight.keySet());
            best.sort(Comparator.comparingLong((String h) -> -weight.get(h)).thenComparing(h -> h));
            out.add(best.size() > MAX_HOSTS ? new ArrayList<>(best.subList(0, MAX_HOSTS)) : best);
        }
        return out;
    }

    /** The block holding byte {@code offset}, or null. */
    private static BlockLocation blockAt(BlockLocation[] sorted, long offset) {
        if (sorted == null) {
            return null;
        }
        int lo = 0;
        int hi = sorted.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            BlockLocation b = sorted[mid];
            if (offset < b.getOffset()) {
                hi = mid - 1;
            } else if (offset >= b.getOffset() + b.getLength()) {
                lo = mid + 1;
            } else {
                return b;
            }
        }
        return null;
    }

    private static String[] hostsOf(BlockLocation block) {
        try {
            return block.getHosts();
        } catch (IOException e) {
            return new String[0];
        }
    }
}
