export {
  AwsChunkedDecoder,
  type AwsChunkedDecoderOptions,
  type ChunkSigning,
  canonicalTrailer,
  DEFAULT_MAX_CHUNK_SIZE_BYTES,
  MAX_CHUNK_HEADER_BYTES,
  MAX_TRAILER_BYTES,
} from './aws-chunked-decoder.js';
export { type AwsChunkedEncodeOptions, awsChunkedEncode } from './aws-chunked-encode.js';
export { type BodyDigests, BodyVerifier, type BodyVerifierOptions } from './body-verifier.js';
export { deferContinue } from './expect-continue.js';
export { type RequestBody, readBody } from './read-body.js';
