/**
 * Preloaded into a server process by the load and fault tools (`node --require bench/load/probe.cjs`),
 * so that the service itself needs no change: once a second it appends one JSON line to
 * $MATCH_PROBE_FILE with the process RSS, heap and the event-loop delay of the last second
 * (perf_hooks.monitorEventLoopDelay, 10 ms resolution; values in ms). The histogram records the
 * time between ticks of its 10 ms timer, so the resolution is subtracted: 0 means no delay.
 * Does nothing without the variable. See the end of the file for MATCH_EXIT_WITH_PARENT.
 */
'use strict';
const fs = require('node:fs');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { isMainThread } = require('node:worker_threads');

const file = process.env.MATCH_PROBE_FILE;
// Preloads also run in worker threads (execArgv is inherited): sample the main thread only.
if (file && isMainThread) {
  const RESOLUTION_NS = 10e6;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_NS / 1e6 });
  histogram.enable();
  const fd = fs.openSync(file, 'a');
  const ms = (ns) => Math.max(0, Math.round((ns - RESOLUTION_NS) / 1e4) / 100);
  const timer = setInterval(() => {
    const mem = process.memoryUsage();
    const line = {
      t: Date.now(),
      pid: process.pid,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      elMean: ms(histogram.mean),
      elP50: ms(histogram.percentile(50)),
      elP99: ms(histogram.percentile(99)),
      elMax: ms(histogram.max),
    };
    histogram.reset();
    try {
      fs.writeSync(fd, JSON.stringify(line) + '\n');
    } catch {
      // a full disk must not take the server down
    }
  }, 1000);
  timer.unref();
}

// With MATCH_EXIT_WITH_PARENT=1, a server started by a test or the load tool shuts itself down
// (SIGTERM: the normal drain) if that parent dies without stopping it, instead of running on.
if (isMainThread && process.env.MATCH_EXIT_WITH_PARENT === '1') {
  const parent = process.ppid;
  const watchdog = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watchdog);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 1000);
  watchdog.unref();
}

