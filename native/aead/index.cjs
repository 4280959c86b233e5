'use strict';
// The compiled binding: `npm run build:native`, which the root package's `prepare` runs on
// npm install/ci. crypto/native-aead.ts loads this and falls back to node:crypto without it.
module.exports = require('./build/Release/strata_aead.node');
