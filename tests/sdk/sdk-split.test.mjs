// SDK compatibility against `tracevault control` + `tracevault data` (two
// processes, separate data dirs); the SDK's app URL is the control plane.
import { defineSdkSuite } from './sdk-suite.mjs';

defineSdkSuite('split');
