#!/usr/bin/env node
'use strict';
// The `redust` command: a Redis 7.0-compatible server. See `redust --help`.
// First, before the modules load: the young generation stays small until the dataset is loaded.
require('../dist/src/server/heap-trim.js').holdYoungForStartup();
require('../dist/src/cli.js')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
