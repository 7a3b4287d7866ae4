// A hermetic process state for tests that drive the official SDK: the
// BRAINTRUST_* environment cleared (so nothing on the machine points the SDK
// elsewhere) and the working directory a fresh non-git temp dir (so git
// metadata collection is deterministic). leave() puts both back.
import fs from 'node:fs';
import { makeTmpDir } from './server.mjs';

const SDK_ENV_KEYS = ['BRAINTRUST_APP_URL', 'BRAINTRUST_API_KEY', 'BRAINTRUST_ORG_NAME', 'BRAINTRUST_API_URL',
  'BRAINTRUST_PROXY_URL', 'BRAINTRUST_APP_PUBLIC_URL', 'BRAINTRUST_QUEUE_DROP_EXCEEDING_MAXSIZE'];

export function sdkSandbox(prefix) {
  const savedEnv = {};
  const savedCwd = process.cwd();
  let cwdTmp;
  return {
    enter() {
      for (const k of SDK_ENV_KEYS) {
        savedEnv[k] = process.env[k];
        delete process.env[k];
      }
      cwdTmp = makeTmpDir(`tracevault-${prefix}-cwd-`);
      process.chdir(cwdTmp);
    },
    leave() {
      process.chdir(savedCwd);
      for (const k of SDK_ENV_KEYS) {
        if (savedEnv[k] === undefined) delete process.env[k];
        else process.env[k] = savedEnv[k];
      }
      if (cwdTmp) fs.rmSync(cwdTmp, { recursive: true, force: true });
    },
  };
}
