// Preloaded with --require: prints this process's peak RSS (bytes) to stderr on exit.
process.on('exit', () => {
  require('node:fs').writeSync(2, `\nBENCH_MAXRSS ${process.resourceUsage().maxRSS * 1024}\n`);
});
