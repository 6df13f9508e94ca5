package io.sparkbtrfs.spark;

import java.io.IOException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;

import io.sparkbtrfs.store.Storage;

/**
 * A file of the staging directory written by a task attempt: under an attempt-unique name, then renamed into
 * place once whole, so that a retried or speculative attempt can never leave a torn or duplicated file (all
 * attempts write the same bytes; the last rename wins). A failed attempt removes what it wrote, as far as it can.
 */
final class AttemptFile {
    private AttemptFile() {
    }

    /** Writes the attempt's file {@code tmp} on {@code fs}; returns what the caller wants back. */
    @FunctionalInterface
    interface Writer<T, E extends Exception> {
        T write(FileSystem fs, Path tmp) throws IOException, E;
    }

    /** Runs {@code writer} on this attempt's name for {@code dir/name}, then commits it by rename. */
    static <T, E extends Exception> T write(Path dir, String name, Configuration conf, Writer<T, E> writer)
            throws IOException, E {
        TaskContext ctx = TaskContext.get();
        String attempt = ctx == null ? "local" : ctx.taskAttemptId() + "-" + ctx.attemptNumber();
        Path tmp = new Path(dir, "_" + name + ".attempt-" + attempt);
        Path done = new Path(dir, name);
        FileSystem fs = Storage.fileSystem(dir, conf);
        boolean committed = false;
        try {
            T result = writer.write(fs, tmp);
            fs.delete(done, false);
            if (!fs.rename(tmp, done)) {
                throw new IOException("cannot rename " + tmp + " to " + done);
            }
            committed = true;
            return result;
        } finally {
            if (!committed) {
                try {
                    fs.delete(tmp, false);
                } catch (IOException | RuntimeException ignored) {
                    // the staging directory is removed by the driver anyway
                }
            }
        }
    }
}
