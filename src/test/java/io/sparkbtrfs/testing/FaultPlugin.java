package io.sparkbtrfs.testing;

import java.util.List;
import java.util.Map;

import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Fault injection into the dump's Spark tasks, from test code only: a Spark plugin ({@code spark.plugins}) that
 * acts on the tasks of the dump's job (job group {@value #DUMP_JOB_GROUP}) as their executors start them. Enabled
 * by the options of {@link #delay} and {@link #failFirstAttempt}:
 * <ul>
 * <li>{@value #DELAY}: every task attempt sleeps this many milliseconds before it runs (before it reads the source
 * or writes its part), so that a test can kill an executor or the driver, or change the source, while the job
 * runs;</li>
 * <li>{@value #FAIL_FIRST_ATTEMPT}: the first attempt of the task for this part number fails once it has run, its
 * part written, as a task that dies before the driver hears of it would; the retry writes the part again.</li>
 * </ul>
 * Child JVMs load it from the jar {@link ChildJvm} puts on their class path; executors of a local cluster from
 * the test class path.
 */
public final class FaultPlugin implements SparkPlugin {
    public static final String DELAY = "spark.btrfs.test.taskDelayMs";
    public static final String FAIL_FIRST_ATTEMPT = "spark.btrfs.test.failFirstAttemptOfPartition";
    /** The job group of {@code spark.DumpJob}'s part tasks. */
    static final String DUMP_JOB_GROUP = "btrfs-image-dump";
    private static final String JOB_GROUP_PROPERTY = "spark.jobGroup.id";

    /** {@code --conf} options that hold every part task for {@code millis} before it runs. */
    public static List<String> delay(long millis) {
        return List.of("--conf", "spark.plugins=" + FaultPlugin.class.getName(), "--conf", DELAY + "=" + millis);
    }

    /** {@code --conf} options that fail the first attempt of part {@code part} after it wrote its part. */
    public static List<String> failFirstAttempt(int part) {
        return List.of("--conf", "spark.plugins=" + FaultPlugin.class.getName(), "--conf",
                FAIL_FIRST_ATTEMPT + "=" + part);
    }

    /** True when a thread of this JVM is held by {@link #DELAY} (a task that has not yet read anything). */
    public static boolean taskHeld() {
        for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
            for (StackTraceElement f : stack) {
                if (f.getClassName().equals(FaultPlugin.class.getName()) && f.getMethodName().equals("hold")) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new Faults();
    }

    private static final class Faults implements ExecutorPlugin {
        private long delay;
        private int failFirstAttemptOf = -1;

        @Override
        public void init(PluginContext ctx, Map<String, String> extraConf) {
            SparkConf conf = ctx.conf();
            delay = conf.getLong(DELAY, 0);
            failFirstAttemptOf = conf.getInt(FAIL_FIRST_ATTEMPT, -1);
        }

        @Override
        public void onTaskStart() {
            TaskContext task = TaskContext.get();
            if (task == null || !DUMP_JOB_GROUP.equals(task.getLocalProperty(JOB_GROUP_PROPERTY))) {
                return;
            }
            if (delay > 0) {
                hold(delay);
            }
            if (task.attemptNumber() == 0 && task.partitionId() == failFirstAttemptOf) {
                // Spark swallows a plugin's exceptions; a completion listener's fail the task, after it ran.
                int part = task.partitionId();
                task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> {
                    throw new IllegalStateException("injected failure of the first attempt of part " + part + " ("
                            + FAIL_FIRST_ATTEMPT + ")");
                });
            }
        }
    }

    private static void hold(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the task was killed: Spark ends it
        }
    }
}
