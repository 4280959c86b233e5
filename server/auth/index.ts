export * from './types.js';
export { authenticate, type AuthenticateOptions, parsePayloadMode } from './authenticate.js';
export { authType, type AuthType } from './auth-type.js';
export { SigningKeyCache, signingKey } from './signing-key.js';
export { chunkStringToSign, trailerStringToSign, hmacHex, sha256Hex, signaturesEqual, EMPTY_SHA256_HEX } from './string-to-sign.js';
