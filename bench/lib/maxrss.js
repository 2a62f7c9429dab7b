// Preloaded with --require: prints this process's peak RSS (bytes) and CPU seconds (user + system) to stderr on exit.
process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeSync(2, `\nBENCH_MAXRSS ${u.maxRSS * 1024}\nBENCH_CPU_SECONDS ${(u.userCPUTime + u.systemCPUTime) / 1e6}\n`);
});
