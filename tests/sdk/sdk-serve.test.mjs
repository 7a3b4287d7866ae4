// SDK compatibility against `tracevault serve` (both planes in one process).
import { defineSdkSuite } from './sdk-suite.mjs';

defineSdkSuite('serve');
