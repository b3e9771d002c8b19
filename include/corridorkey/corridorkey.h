/* corridorkey: the C interface of the CorridorKey keying engine.
 *
 * An engine is built once from a checkpoint and keys frames: given a plate (RGB) and a coarse
 * alpha hint, it returns the alpha matte, the unspilled foreground, the premultiplied linear
 * RGBA ("processed") and a checking composite, all float32 at the plate's size.
 *
 * Every function returns a status; on failure ck_last_error() describes what went wrong (per
 * thread, valid until the next call on that thread). No function aborts or throws. An engine
 * may be used from several threads; its frames are keyed one at a time. Engines are
 * independent: each has its own memory and thread count, and several may key at once.
 *
 *   ck_engine_params ep = ck_engine_default_params();
 *   ep.img_size = 1024;
 *   ck_engine* engine;
 *   if (ck_engine_create("CorridorKey_v1.0.pth", &ep, &engine) != CK_OK) puts(ck_last_error());
 *   ck_frame_params fp = ck_frame_default_params();
 *   ck_frame_result out;
 *   ck_engine_process_frame(engine, &plate, &hint, &fp, &out);
 *   ...  out.alpha[y * out.width + x], out.processed[(y * out.width + x) * 4 + 3]
 *   ck_frame_result_free(&out);
 *   ck_engine_free(engine);
 */
#ifndef CORRIDORKEY_CORRIDORKEY_H
#define CORRIDORKEY_CORRIDORKEY_H

#include <stddef.h>

#if defined(__GNUC__)
#pragma GCC visibility push(default) /* the public interface, exported from libcorridorkey.so */
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ck_status {
  CK_OK = 0,
  CK_ERROR_INVALID_ARGUMENT = 1, /* bad size, option, value or null pointer */
  CK_ERROR_UNSUPPORTED = 2,      /* an operation or format this build cannot do */
  CK_ERROR_IO = 3,               /* file missing, unreadable, unwritable */
  CK_ERROR_FORMAT = 4,           /* corrupt or unsuitable file content (e.g. a checkpoint that does not fit) */
  CK_ERROR_OUT_OF_MEMORY = 5,
  CK_ERROR_INTERNAL = 6,
  CK_ERROR_NETWORK = 7,          /* a download failed: server error, refusal or stall */
  CK_ERROR_CANCELLED = 8         /* the caller asked for the work to stop */
} ck_status;

typedef enum ck_pixel_type {
  CK_PIXEL_U8 = 0,  /* scaled to [0, 1] by 1/255 */
  CK_PIXEL_U16 = 1, /* scaled to [0, 1] by 1/65535 */
  CK_PIXEL_F32 = 2  /* taken as is, no clamp */
} ck_pixel_type;

/* Interleaved pixels. The plate needs 3 channels (or 1, repeated; a 4th is ignored); the
 * hint's first channel is used. row_stride_bytes 0 means tightly packed rows. */
typedef struct ck_image {
  const void* data;
  int width, height, channels;
  ck_pixel_type type;
  size_t row_stride_bytes;
} ck_image;

typedef enum ck_precision {
  CK_PRECISION_FP32 = 0, /* matches PyTorch (default) */
  CK_PRECISION_BF16 = 1  /* faster on CPUs with AVX512-BF16; outputs about 1e-2 off at worst */
} ck_precision;

typedef struct ck_engine_params {
  int img_size;           /* network resolution, a multiple of 32 (default 2048) */
  int threads;            /* CPU threads for this engine's calls; 0 (default): the calling
                             thread's OpenMP setting (OMP_NUM_THREADS, else all cores) */
  int use_refiner;        /* 0: coarse prediction only (default 1) */
  ck_precision precision; /* CK_ERROR_UNSUPPORTED from ck_engine_create if the CPU cannot */
  int buffer_cache_mib;   /* MiB of released buffers kept idle for the first frame and for
                             outputs; -1 (default): 64. Later frames reuse one planned block
                             of memory whatever this says. */
  const char* backend;    /* "cpu" (default; also when NULL) or "ref" (reference kernels) */
  int max_memory_mib;     /* MiB for the weights and a frame's tensors; 0 (default): no budget.
                             Under one the refiner runs in bands of rows (exact, slower);
                             CK_ERROR_INVALID_ARGUMENT names the least budget when none fits. */
  int tile_size;          /* tiled inference, an approximation: the network at this size on
                             overlapping tiles of the S x S input; 0 (default): whole frame */
  int tile_overlap;       /* pixels shared by neighbouring tiles (default 64) */
} ck_engine_params;

typedef struct ck_frame_params {
  float refiner_scale;    /* multiplies the refiner's corrections (default 1; 0 = coarse only) */
  int input_is_linear;    /* plate is scene-linear rather than sRGB (default 0) */
  float despill_strength; /* 0..1 (default 1) */
  int auto_despeckle;     /* remove small islands of matte (default 1) */
  int despeckle_size;     /* smallest kept island, in pixels (default 400) */
  int generate_comp;      /* fill ck_frame_result.comp (default 1) */
} ck_frame_params;

/* Outputs at the plate's size, float32, interleaved, owned by the result. */
typedef struct ck_frame_result {
  int width, height;
  float* alpha;     /* 1 channel, linear */
  float* fg;        /* 3 channels, sRGB-encoded, straight */
  float* processed; /* 4 channels, linear, premultiplied */
  float* comp;      /* 3 channels, sRGB; NULL when generate_comp is 0 */
} ck_frame_result;

typedef struct ck_engine ck_engine;

ck_engine_params ck_engine_default_params(void);
ck_frame_params ck_frame_default_params(void);

/* checkpoint: an official .pth, a converted .safetensors or an MLX-port .safetensors. */
ck_status ck_engine_create(const char* checkpoint_path, const ck_engine_params* params, ck_engine** out_engine);
void ck_engine_free(ck_engine* engine);

/* A hint of another size than the plate is resized to it. On failure *out is left zeroed. */
ck_status ck_engine_process_frame(ck_engine* engine, const ck_image* plate, const ck_image* hint,
                                  const ck_frame_params* params, ck_frame_result* out);
void ck_frame_result_free(ck_frame_result* result);

const char* ck_last_error(void);
const char* ck_status_name(ck_status status);

#ifdef __cplusplus
}
#endif

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* CORRIDORKEY_CORRIDORKEY_H */
