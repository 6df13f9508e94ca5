package io.sparkbtrfs.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * Fault injection for the tests, off unless these Spark properties are set (executors see the driver's
 * {@code spark.*} settings):
 * <ul>
 * <li>{@value #DELAY}: every task attempt sleeps this many milliseconds before writing its part, so that a
 * test can kill an executor or the driver while the job runs;</li>
 * <li>{@value #FAIL_FIRST_ATTEMPT}: the first attempt of the task for this part number fails after its part
 * is written under its attempt name (before the rename), as a task that dies mid-commit would.</li>
 * </ul>
 */
final class TestHooks {
    static final String DELAY = "spark.btrfs.test.taskDelayMs";
    static final String FAIL_FIRST_ATTEMPT = "spark.btrfs.test.failFirstAttemptOfPartition";

    private TestHooks() {
    }

    private static SparkConf conf() {
        SparkEnv env = SparkEnv.get();
        return env == null ? null : env.conf();
    }

    static void beforeWrite() {
        SparkConf conf = conf();
        long delay = conf == null ? 0 : conf.getLong(DELAY, 0);
        if (delay > 0) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted (task killed)", e);
            }
        }
    }

    static void beforeCommit(int part) {
        SparkConf conf = conf();
        TaskContext ctx = TaskContext.get();
        if (conf != null && ctx != null && ctx.attemptNumber() == 0 && conf.getInt(FAIL_FIRST_ATTEMPT, -1) == part) {
            throw new IllegalStateException("injected failure of the first attempt of part " + part + " ("
                    + FAIL_FIRST_ATTEMPT + ")");
        }
    }
}
