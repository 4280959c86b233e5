/*
 * Batch AEAD for Strata's sealed packages (docs/encryption-format.md).
 *
 * node:crypto needs one cipher object per package (it cannot reset a context's nonce) and
 * returns every output in a freshly allocated, zero-filled buffer. For 64 KiB packages that
 * set-up and the garbage it leaves cost more than the AEAD itself. This binding seals or
 * opens a run of packages in one call, with one OpenSSL context, reading from and writing
 * into buffers the caller owns. It knows nothing of the format beyond "packages of P
 * plaintext bytes, each followed by a 16-byte tag": nonces and associated data are computed
 * by the caller (crypto/package-cipher.ts), which keeps the format in one place.
 *
 * OpenSSL comes from the Node.js binary itself (its headers ship with Node; its symbols are
 * exported to addons), so the result is the same cipher node:crypto uses.
 *
 *   seal(cipherId, key, nonces, aads, aadBytes, plaintext, sealed, packageBytes) -> undefined
 *   open(cipherId, key, nonces, aads, aadBytes, sealed, plaintext, packageBytes) -> number
 *
 * cipherId: 1 AES-256-GCM, 2 ChaCha20-Poly1305. key: 32 bytes. nonces: n * 12 bytes.
 * aads: n * aadBytes. The plaintext side holds n packages: each full (packageBytes) but the
 * last, which holds 1..packageBytes bytes (0 only when n is 1). The sealed side is the
 * plaintext length + 16 * n. open returns n when every tag verified, else the index of the
 * first package that failed (the plaintext of that package and later ones is zeroed).
 * Bad arguments throw; nothing is written then.
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
#define MAX_AAD_BYTES 1024

typedef struct {
  uint8_t *data;
  size_t length;
} bytes_t;

static int get_bytes(napi_env env, napi_value value, bytes_t *out) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  bool is_typedarray = false;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray) return 0;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  out->data = (uint8_t *)data;
  out->length = length;
  return 1;
}

static int get_u32(napi_env env, napi_value value, uint32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_uint32(env, value, out) == napi_ok;
}

typedef struct {
  const EVP_CIPHER *cipher;
  bytes_t key, nonces, aads, from, to;
  uint32_t aad_bytes, package_bytes;
  size_t count;
  size_t plain_bytes;
} batch_t;

/* Parses and checks the arguments; throws and returns 0 when they do not fit. */
static int parse_batch(napi_env env, napi_callback_info info, int sealing, batch_t *b) {
  size_t argc = 8;
  napi_value argv[8];
  uint32_t cipher_id;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8) {
    napi_throw_type_error(env, NULL, "expected 8 arguments");
    return 0;
  }
  if (!get_u32(env, argv[0], &cipher_id) || (cipher_id != 1 && cipher_id != 2)) {
    napi_throw_type_error(env, NULL, "cipher id must be 1 (AES-256-GCM) or 2 (ChaCha20-Poly1305)");
    return 0;
  }
  b->cipher = cipher_id == 1 ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
  if (!get_bytes(env, argv[1], &b->key) || b->key.length != KEY_BYTES) {
    napi_throw_type_error(env, NULL, "key must be a 32-byte Uint8Array");
    return 0;
  }
  if (!get_bytes(env, argv[2], &b->nonces) || b->nonces.length == 0 || b->nonces.length % NONCE_BYTES != 0) {
    napi_throw_type_error(env, NULL, "nonces must be a non-empty Uint8Array of 12-byte nonces");
    return 0;
  }
  b->count = b->nonces.length / NONCE_BYTES;
  if (!get_u32(env, argv[4], &b->aad_bytes) || b->aad_bytes > MAX_AAD_BYTES) {
    napi_throw_type_error(env, NULL, "aad length must be 0..1024");
    return 0;
  }
  if (!get_bytes(env, argv[3], &b->aads) || b->aads.length != b->count * b->aad_bytes) {
    napi_throw_type_error(env, NULL, "aads must hold one aad per nonce");
    return 0;
  }
  if (!get_bytes(env, argv[5], &b->from) || !get_bytes(env, argv[6], &b->to)) {
    napi_throw_type_error(env, NULL, "input and output must be Uint8Arrays");
    return 0;
  }
  if (!get_u32(env, argv[7], &b->package_bytes) || b->package_bytes == 0 || b->package_bytes > INT32_MAX) {
    napi_throw_type_error(env, NULL, "package size must be positive");
    return 0;
  }
  const bytes_t *plain = sealing ? &b->from : &b->to;
  const bytes_t *sealed = sealing ? &b->to : &b->from;
  b->plain_bytes = plain->length;
  size_t full_before_last = (b->count - 1) * (size_t)b->package_bytes;
  int last_ok = b->count == 1 ? plain->length <= b->package_bytes
                              : plain->length > full_before_last && plain->length - full_before_last <= b->package_bytes;
  if (!last_ok || sealed->length != plain->length + TAG_BYTES * b->count) {
    napi_throw_range_error(env, NULL, "buffer sizes do not match the package count");
    return 0;
  }
  /* The two sides must not overlap: packages move by 16 bytes each between them. */
  if (b->from.data < b->to.data + b->to.length && b->to.data < b->from.data + b->from.length &&
      b->from.length > 0 && b->to.length > 0) {
    napi_throw_range_error(env, NULL, "input and output overlap");
    return 0;
  }
  return 1;
}

static size_t package_plain_bytes(const batch_t *b, size_t i) {
  size_t start = i * (size_t)b->package_bytes;
  size_t left = b->plain_bytes - start;
  return left < b->package_bytes ? left : b->package_bytes;
}

/* Runs the batch; returns the number of packages done (count, or the failing package's index), -1 on an OpenSSL error. */
static long run_batch(const batch_t *b, int sealing) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  long done = -1;
  int outl = 0;
  if (ctx == NULL) return -1;
  if (EVP_CipherInit_ex(ctx, b->cipher, NULL, NULL, NULL, sealing) != 1) goto out;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_BYTES, NULL) != 1) goto out;
  if (EVP_CipherInit_ex(ctx, NULL, NULL, b->key.data, NULL, sealing) != 1) goto out;
  for (size_t i = 0; i < b->count; i++) {
    size_t len = package_plain_bytes(b, i);
    const uint8_t *nonce = b->nonces.data + i * NONCE_BYTES;
    const uint8_t *aad = b->aads.data + i * b->aad_bytes;
    size_t plain_at = i * (size_t)b->package_bytes;
    size_t sealed_at = i * ((size_t)b->package_bytes + TAG_BYTES);
    const uint8_t *in = b->from.data + (sealing ? plain_at : sealed_at);
    uint8_t *out = b->to.data + (sealing ? sealed_at : plain_at);
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, sealing) != 1) goto out;
    if (b->aad_bytes > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)b->aad_bytes) != 1) goto out;
    if (len > 0 && EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1) goto out;
    if (sealing) {
      if (EVP_CipherFinal_ex(ctx, out + len, &outl) != 1) goto out;
      if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, out + len) != 1) goto out;
    } else {
      /* The tag is only read (OpenSSL copies it); the cast drops const for the old API. */
      if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)(in + len)) != 1) goto out;
      if (EVP_CipherFinal_ex(ctx, out + len, &outl) != 1) {
        /* Authentication failed: no unverified plaintext stays behind. */
        memset(out, 0, b->plain_bytes - plain_at);
        done = (long)i;
        goto out;
      }
    }
  }
  done = (long)b->count;
out:
  EVP_CIPHER_CTX_free(ctx);
  return done;
}

static napi_value js_seal(napi_env env, napi_callback_info info) {
  batch_t b;
  if (!parse_batch(env, info, 1, &b)) return NULL;
  if (run_batch(&b, 1) != (long)b.count) {
    napi_throw_error(env, NULL, "OpenSSL failed to seal a package");
    return NULL;
  }
  return NULL;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  batch_t b;
  napi_value result;
  if (!parse_batch(env, info, 0, &b)) return NULL;
  long done = run_batch(&b, 0);
  if (done < 0) {
    napi_throw_error(env, NULL, "OpenSSL failed to open a package");
    return NULL;
  }
  if (napi_create_uint32(env, (uint32_t)done, &result) != napi_ok) return NULL;
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"seal", NULL, js_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
