'use strict';

const { installRunnerIntegrity } = require('./runner-integrity');

// Every test runs against real servers; a single slow CREATE DATABASE on a loaded machine must
// not look like a failure of the code under test.
jest.setTimeout(30000);

installRunnerIntegrity();
