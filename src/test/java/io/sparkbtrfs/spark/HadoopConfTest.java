package io.sparkbtrfs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;

/**
 * S3A reads our sources with its classic stream unless the user named one: by {@code --conf}, by
 * {@code spark.hadoop.*}, or per bucket (S3A gives a bucket's own key precedence over the one we set).
 */
@Fast
class HadoopConfTest {
    private static final String KEY = "fs.s3a.input.stream.type";

    @Test
    void classicStreamUnlessTheUserChoseOne() throws IOException {
        assertEquals("classic", conf(Map.of()).get(KEY));
        assertEquals("analytics", conf(Map.of(KEY, "analytics")).get(KEY));
        assertEquals("prefetch", conf(Map.of("spark.hadoop." + KEY, "prefetch")).get(KEY));
        Configuration perBucket = conf(Map.of("fs.s3a.bucket.snapshots.input.stream.type", "analytics"));
        assertEquals("analytics", perBucket.get("fs.s3a.bucket.snapshots.input.stream.type"));
    }

    private static Configuration conf(Map<String, String> cli) throws IOException {
        SparkConf spark = SparkSessions.sparkConf("local", false, cli);
        return SparkSessions.hadoopConf(spark, cli);
    }
}
