'use strict';

const { lockRunner } = require('./lock-runner');

// Every test runs against real servers; a single slow CREATE DATABASE on a loaded machine must
// not look like a failure of the code under test.
jest.setTimeout(30000);

// The runner is ready and no test file has loaded yet: from here on, what decides a result is read-only.
lockRunner(globalThis);
