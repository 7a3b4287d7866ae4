// SDK compatibility against `tracevault serve` with S3 object storage: the
// s3rver that scripts/test.sh starts on loopback (TV_TEST_S3_ENDPOINT). The
// server reads its object-store settings from the environment it inherits.
import crypto from 'node:crypto';
import { describe, it } from 'node:test';

import { defineSdkSuite } from './sdk-suite.mjs';

const endpoint = process.env.TV_TEST_S3_ENDPOINT;
if (endpoint) {
  Object.assign(process.env, {
    TRACEVAULT_OBJECT_STORE: `s3://tv-sdk/run-${crypto.randomBytes(4).toString('hex')}`,
    TRACEVAULT_S3_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });
  defineSdkSuite('serve');
} else {
  describe('SDK on S3', () => {
    it('needs TV_TEST_S3_ENDPOINT (scripts/test.sh starts s3rver)', { skip: 'no S3 endpoint' }, () => {});
  });
}
