package io.sparkbtrfs.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything this process has written but not yet committed (temporary images, staging directories, spooled
 * input, lock files), so that a run stopped by a signal can remove it even when its threads cannot unwind in
 * time. Outputs register a removal when they create something and unregister it when they commit or clean up.
 */
public final class Uncommitted {
    private static final Map<Object, Runnable> REMOVALS = new LinkedHashMap<>();
    private static boolean closed;

    private Uncommitted() {
    }

    /** Registers {@code removal} under {@code owner}; refused (false) once {@link #removeAll()} ran. */
    public static synchronized boolean register(Object owner, Runnable removal) {
        if (closed) {
            return false;
        }
        REMOVALS.put(owner, removal);
        return true;
    }

    public static synchronized void unregister(Object owner) {
        REMOVALS.remove(owner);
    }

    /** Runs every registered removal, newest first, and refuses later registrations. Never throws. */
    public static void removeAll() {
        List<Runnable> todo;
        synchronized (Uncommitted.class) {
            closed = true;
            todo = new ArrayList<>(REMOVALS.values());
            REMOVALS.clear();
        }
        for (int i = todo.size() - 1; i >= 0; i--) {
            try {
                todo.get(i).run();
            } catch (RuntimeException ignored) {
                // best effort: the process is about to stop
            }
        }
    }
}
