package io.sparkbtrfs.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.sparkbtrfs.store.Uncommitted;

/**
 * SIGINT, SIGTERM and SIGHUP end a run the way any other failure does: the work is cancelled, what was written
 * but not committed is removed, one {@code ERROR:} line says which signal, and the exit status is 1. A signal that
 * arrives once the target was committed changes nothing: the image is complete and reported as such (exit 0).
 * If the run cannot unwind within {@link #GRACE_MILLIS} (a read blocked on a pipe, say), the uncommitted files
 * are removed here and the process halts. Installed only by {@link Main#main}: tests that run the tool in their
 * own JVM keep the JVM's signal handling.
 */
final class Interrupts {
    static final long GRACE_MILLIS = 5_000;

    private static volatile String received;
    private static volatile String note = "nothing was written";
    private static volatile boolean committed;
    private static volatile boolean finished;
    private static final List<Runnable> CANCELLERS = new CopyOnWriteArrayList<>();

    private Interrupts() {
    }

    /** Handles the signals for the run on {@code main}, reporting on {@code err}. */
    @SuppressWarnings("restriction")
    static void install(Thread main, PrintStream err) {
        for (String name : List.of("INT", "TERM", "HUP")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> onSignal("SIG" + s.getName(), main, err));
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                // the JVM keeps this one (-Xrs, or a platform without it)
            }
        }
        CANCELLERS.add(main::interrupt);
    }

    private static void onSignal(String name, Thread main, PrintStream err) {
        if (received != null) {
            // asked twice: stop waiting for the run to unwind
            forceStop(err);
            return;
        }
        received = name;
        for (Runnable r : CANCELLERS) {
            try {
                r.run();
            } catch (RuntimeException ignored) {
                // cancelling is best effort; the watchdog below has the last word
            }
        }
        Thread watchdog = new Thread(() -> {
            try {
                main.join(GRACE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!finished) {
                forceStop(err);
            }
        }, "signal-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private static void forceStop(PrintStream err) {
        if (finished) {
            return;
        }
        if (committed) {
            Runtime.getRuntime().halt(0);
        }
        Uncommitted.removeAll();
        err.println("ERROR: " + message());
        err.flush();
        Runtime.getRuntime().halt(1);
    }

    /** Runs {@code cancel} when a signal arrives (e.g. cancelling Spark jobs). */
    static void onInterrupt(Runnable cancel) {
        CANCELLERS.add(cancel);
        if (received != null) {
            cancel.run();
        }
    }

    static void removeCanceller(Runnable cancel) {
        CANCELLERS.remove(cancel);
    }

    /** What an interrupted run leaves, e.g. "x.img was not written". */
    static void note(String what) {
        note = what;
    }

    /** The error line (without "ERROR: ") of an interrupted run. */
    static String message() {
        return "interrupted by " + received + "; " + note;
    }

    /** The signal that interrupted this run ("SIGTERM"), or null. */
    static String received() {
        return received;
    }

    /** The run's outputs are all committed: from now on a signal does not make it fail. */
    static void committed() {
        committed = true;
    }

    /** The run has ended and its status is decided. */
    static void finished() {
        finished = true;
    }
}
