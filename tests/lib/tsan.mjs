// ThreadSanitizer runs (`make tsan`, scripts/tsan.sh): the environment that
// makes a TSan-built server write each report to a file and exit at the first
// one, and the check for such files. A server killed with SIGKILL by a test
// writes none, so a report file always means a race (or a lock-order
// inversion) found in that server.
import fs from 'node:fs';
import path from 'node:path';

/** The exit code a TSan-built process uses after a report (TSAN_OPTIONS exitcode). */
export const TSAN_EXIT_CODE = 66;

/** The report directory of this run, or null when not under `make tsan`. */
export function tsanReportDir() {
  return process.env.TV_TSAN_REPORT_DIR ? path.resolve(process.env.TV_TSAN_REPORT_DIR) : null;
}

/**
 * Environment for a server started under TSan: the caller's TSAN_OPTIONS plus
 * halt_on_error, the exit code and log_path into `dir`. Empty when `dir` is null.
 */
export function tsanEnv(dir = tsanReportDir()) {
  if (!dir) return {};
  fs.mkdirSync(dir, { recursive: true });
  const base = process.env.TSAN_OPTIONS ?? '';
  return {
    TSAN_OPTIONS: `${base} halt_on_error=1 exitcode=${TSAN_EXIT_CODE} log_path=${path.join(dir, 'tsan')}`.trim(),
  };
}

/** The reports written into `dir` so far: [{file, text}]. */
export function tsanReports(dir = tsanReportDir()) {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('tsan'))
    .map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** Throws with the first report's text when `dir` holds any. */
export function assertNoTsanReports(what, dir = tsanReportDir()) {
  const reports = tsanReports(dir);
  if (reports.length === 0) return;
  const first = reports[0];
  throw new Error(
    `${what}: ThreadSanitizer wrote ${reports.length} report(s) (${reports.map((r) => r.file).join(', ')}); ` +
      `the first:\n${first.text.slice(0, 20000)}`,
  );
}
