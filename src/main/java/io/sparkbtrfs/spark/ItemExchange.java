package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.CollectionAccumulator;

import io.sparkbtrfs.device.VolumeDescriptor;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.ItemProducer;
import io.sparkbtrfs.dump.PartResult;
import io.sparkbtrfs.dump.PartSpec;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.store.SerializableConfiguration;
import scala.Tuple2;

/**
 * Parts whose items are read once, by address, and exchanged (issue 16; {@link io.sparkbtrfs.dump.AddressOrder}
 * decides when): producer tasks each read a run of the items by address ({@link ItemProducer}) and emit each
 * item's content keyed by its index; a shuffle takes every item to the task of the part that holds it, sorted by
 * index (Spark spills what does not fit in memory); that task writes its part as it would from the source
 * ({@link PartTask#runExchanged}). Producers' reports reach the driver through an accumulator, one per producer
 * whatever the attempts.
 */
final class ItemExchange {
    private ItemExchange() {
    }

    /** The parts' results, and what the producers reported, once the RDD has been collected. */
    record Job(JavaRDD<PartResult> parts, CollectionAccumulator<Tuple2<Integer, ItemProducer.Report>> reports) {
        /** One report per producer, in producer order. */
        List<ItemProducer.Report> producerReports() {
            TreeMap<Integer, ItemProducer.Report> one = new TreeMap<>();
            for (Tuple2<Integer, ItemProducer.Report> r : reports.value()) {
                one.putIfAbsent(r._1(), r._2());
            }
            return new ArrayList<>(one.values());
        }
    }

    static Job parts(JavaSparkContext sc, org.apache.hadoop.conf.Configuration conf, VolumeDescriptor volume,
            Producer producer, List<PartSpec> specs, ItemPlan plan, int[][] runs, PartTask task) {
        CollectionAccumulator<Tuple2<Integer, ItemProducer.Report>> reports = sc.sc().collectionAccumulator("item producers");
        Producer p = producer.reportingTo(reports);
        int[] firstItems = new int[specs.size()];
        for (int i = 0; i < specs.size(); i++) {
            firstItems[i] = specs.get(i).firstItem(plan);
        }
        JavaRDD<PartResult> parts = PartPlacement.runs(sc, conf, volume, plan, Arrays.asList(runs))
                .mapPartitionsToPair(p::produce)
                .repartitionAndSortWithinPartitions(new ByPart(firstItems))
                .mapPartitionsWithIndex((index, items) -> List.of(task.runExchanged(specs.get(index), entries(items)))
                        .iterator(), true);
        return new Job(parts, reports);
    }

    private static Iterator<Map.Entry<Integer, byte[]>> entries(Iterator<Tuple2<Integer, byte[]>> items) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return items.hasNext();
            }

            @Override
            public Map.Entry<Integer, byte[]> next() {
                Tuple2<Integer, byte[]> t = items.next();
                return Map.entry(t._1(), t._2());
            }
        };
    }

    /** Items to the part that holds them: part {@code p} holds items [firstItems[p], firstItems[p + 1]). */
    static final class ByPart extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int[] firstItems;

        ByPart(int[] firstItems) {
            this.firstItems = firstItems.clone();
        }

        @Override
        public int numPartitions() {
            return firstItems.length;
        }

        @Override
        public int getPartition(Object key) {
            int r = Arrays.binarySearch(firstItems, (Integer) key);
            return r >= 0 ? r : Math.max(0, -r - 2);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByPart b && Arrays.equals(firstItems, b.firstItems);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(firstItems);
        }
    }

    /** The executor side of a producer: reads its run of items and emits them. */
    static final class Producer implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<VolumeDescriptor> volume;
        private final Broadcast<ItemPlan> plan;
        private final Broadcast<DumpSettings> settings;
        private final SerializableConfiguration conf;
        private final CollectionAccumulator<Tuple2<Integer, ItemProducer.Report>> reports;

        Producer(Broadcast<VolumeDescriptor> volume, Broadcast<ItemPlan> plan, Broadcast<DumpSettings> settings,
                SerializableConfiguration conf) {
            this(volume, plan, settings, conf, null);
        }

        private Producer(Broadcast<VolumeDescriptor> volume, Broadcast<ItemPlan> plan, Broadcast<DumpSettings> settings,
                SerializableConfiguration conf, CollectionAccumulator<Tuple2<Integer, ItemProducer.Report>> reports) {
            this.volume = volume;
            this.plan = plan;
            this.settings = settings;
            this.conf = conf;
            this.reports = reports;
        }

        Producer reportingTo(CollectionAccumulator<Tuple2<Integer, ItemProducer.Report>> to) {
            return new Producer(volume, plan, settings, conf, to);
        }

        /** The items of the one run this partition holds, each as (item, content), streamed as they are read. */
        Iterator<Tuple2<Integer, byte[]>> produce(Iterator<int[]> runs) {
            SourceWarmup.awaitInExecutor();
            int[] run = runs.hasNext() ? runs.next() : new int[0];
            int index = TaskContext.getPartitionId();
            ItemProducer items;
            try {
                items = ItemProducer.attach(volume.value(), conf.get(), plan.value(), settings.value(), run);
            } catch (IOException | BtrfsFormatException e) {
                throw new DumpTaskException(e.getMessage(), e);
            }
            TaskContext.get().addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> closeQuietly(items));
            return new Iterator<>() {
                private boolean reported;

                @Override
                public boolean hasNext() {
                    if (items.hasNext()) {
                        return true;
                    }
                    if (!reported) {
                        reported = true;
                        reports.add(new Tuple2<>(index, items.report()));
                    }
                    return false;
                }

                @Override
                public Tuple2<Integer, byte[]> next() {
                    if (!items.hasNext()) {
                        throw new NoSuchElementException();
                    }
                    int item = items.nextItem();
                    try {
                        return new Tuple2<>(item, items.next());
                    } catch (IOException e) {
                        throw new DumpTaskException(e.getMessage(), e);
                    }
                }
            };
        }

        private static void closeQuietly(ItemProducer items) {
            try {
                items.close();
            } catch (IOException ignored) {
                // read-only: nothing of the dump depends on closing the source
            }
        }
    }
}
