'use strict';
// The compiled binding (node-gyp builds it on npm install/ci). crypto/native-aead.ts loads
// this and falls back to node:crypto when the build is missing.
module.exports = require('./build/Release/strata_aead.node');
