/*
 * crilog's binding to the system's libdeflate: whole-buffer gzip compression for the compression
 * worker threads. Each call turns one input block into one complete gzip member (header, deflate
 * stream, CRC-32, size); a rotated file is the concatenation of those members, which every gzip
 * reader accepts. Nothing here keeps state between calls except the compressor itself, so one
 * compressor per worker thread and level is enough and the binding needs no locking.
 */
#include <libdeflate.h>
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define CHECK(env, call)                                              \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error((env), NULL, "crilog_deflate: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static void free_compressor(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  libdeflate_free_compressor((struct libdeflate_compressor *)data);
}

/* Bytes of a typed array or buffer argument; throws (returns 0) for anything else. */
static int get_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, NULL, "crilog_deflate: expected a Uint8Array");
    return 0;
  }
  napi_typedarray_type type;
  size_t count;
  void *base;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &count, &base, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "crilog_deflate: expected a Uint8Array");
    return 0;
  }
  *data = (uint8_t *)base;
  *length = count;
  return 1;
}

static struct libdeflate_compressor *get_compressor(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "crilog_deflate: expected a compressor");
    return NULL;
  }
  return (struct libdeflate_compressor *)data;
}

/* createCompressor(level) -> external; freed when collected. */
static napi_value create_compressor(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t level = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &level) != napi_ok || level < 0 || level > 12) {
    napi_throw_range_error(env, NULL, "crilog_deflate: level must be an integer from 0 to 12");
    return NULL;
  }
  struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
  if (c == NULL) {
    napi_throw_error(env, NULL, "crilog_deflate: out of memory allocating a compressor");
    return NULL;
  }
  napi_value result;
  if (napi_create_external(env, c, free_compressor, NULL, &result) != napi_ok) {
    libdeflate_free_compressor(c);
    napi_throw_error(env, NULL, "crilog_deflate: napi_create_external failed");
    return NULL;
  }
  return result;
}

/* gzipBound(compressor, length) -> most bytes gzipCompress can write for that much input. */
static napi_value gzip_bound(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double length = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct libdeflate_compressor *c = get_compressor(env, argv[0]);
  if (c == NULL) return NULL;
  if (argc < 2 || napi_get_value_double(env, argv[1], &length) != napi_ok || length < 0) {
    napi_throw_range_error(env, NULL, "crilog_deflate: length must be a non-negative number");
    return NULL;
  }
  napi_value result;
  CHECK(env, napi_create_double(env, (double)libdeflate_gzip_compress_bound(c, (size_t)length), &result));
  return result;
}

/*
 * gzipCompress(compressor, input, output) -> bytes written to output: one whole gzip member.
 * 0 means the output was too small (size it with gzipBound and it never is).
 */
static napi_value gzip_compress(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint8_t *in, *out;
  size_t in_len, out_len;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "crilog_deflate: gzipCompress(compressor, input, output)");
    return NULL;
  }
  struct libdeflate_compressor *c = get_compressor(env, argv[0]);
  if (c == NULL || !get_bytes(env, argv[1], &in, &in_len) || !get_bytes(env, argv[2], &out, &out_len))
    return NULL;
  size_t written = libdeflate_gzip_compress(c, in, in_len, out, out_len);
  napi_value result;
  CHECK(env, napi_create_double(env, (double)written, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"createCompressor", NULL, create_compressor, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gzipBound", NULL, gzip_bound, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gzipCompress", NULL, gzip_compress, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value version;
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok ||
      napi_create_string_utf8(env, LIBDEFLATE_VERSION_STRING, NAPI_AUTO_LENGTH, &version) != napi_ok ||
      napi_set_named_property(env, exports, "libdeflateVersion", version) != napi_ok)
    return NULL;
  return exports;
}
