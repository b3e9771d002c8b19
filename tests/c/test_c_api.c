/* The C interface used from C: create an engine on the committed tiny weights, key a frame,
 * check the outputs, and walk the error paths. Exits non-zero on the first failed check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corridorkey/corridorkey.h"

static int failures = 0;

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                    \
    }                                                                \
  } while (0)

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_c_api FIXTURES_DIR\n");
    return 2;
  }
  char weights[4096];
  snprintf(weights, sizeof weights, "%s/tiny/weights.safetensors", argv[1]);

  /* Defaults are the product's defaults. */
  ck_engine_params ep = ck_engine_default_params();
  CHECK(ep.img_size == 2048 && ep.threads == 0 && ep.use_refiner == 1 && ep.precision == CK_PRECISION_FP32 &&
        ep.buffer_cache_mib == -1 && ep.backend == NULL && ep.max_memory_mib == 0 && ep.tile_size == 0 &&
        ep.tile_overlap == 64);
  ck_frame_params fp = ck_frame_default_params();
  CHECK(fp.refiner_scale == 1.0f && fp.despill_strength == 1.0f && fp.auto_despeckle == 1 && fp.despeckle_size == 400 &&
        fp.generate_comp == 1 && fp.input_is_linear == 0);

  /* Error paths: nothing is created, the message says why. */
  ck_engine* engine = (ck_engine*)0x1;
  CHECK(ck_engine_create("/nonexistent/weights.pth", &ep, &engine) == CK_ERROR_IO);
  CHECK(engine == NULL);
  CHECK(strstr(ck_last_error(), "/nonexistent/weights.pth") != NULL);
  ep.img_size = 100;
  CHECK(ck_engine_create(weights, &ep, &engine) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "multiple of 32") != NULL);
  CHECK(ck_engine_create(NULL, &ep, &engine) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(ck_engine_create(weights, &ep, NULL) == CK_ERROR_INVALID_ARGUMENT);
  ep.img_size = 64;
  ep.precision = (ck_precision)7;
  CHECK(ck_engine_create(weights, &ep, &engine) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "precision 7") != NULL);
  /* bf16 works where the CPU has AVX512-BF16 and is refused, saying so, where it has not. */
  ep.precision = CK_PRECISION_BF16;
  {
    const ck_status st = ck_engine_create(weights, &ep, &engine);
    CHECK(st == CK_OK || (st == CK_ERROR_UNSUPPORTED && strstr(ck_last_error(), "AVX512-BF16") != NULL));
    if (st == CK_OK) ck_engine_free(engine);
  }
  ep.precision = CK_PRECISION_FP32;
  ep.buffer_cache_mib = -2;
  CHECK(ck_engine_create(weights, &ep, &engine) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "buffer_cache_mib") != NULL);
  ep.buffer_cache_mib = 0; /* keeps nothing between frames: slower, never wrong */
  ep.max_memory_mib = 1; /* no plan fits a frame at 2048 in 1 MiB: the least budget is named */
  ep.img_size = 2048;
  CHECK(ck_engine_create(weights, &ep, &engine) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "the least budget is") != NULL);
  ep.max_memory_mib = 0;
  ep.img_size = 64;
  ep.tile_size = 48;
  CHECK(ck_engine_create(weights, &ep, &engine) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "tile size 48") != NULL);
  ep.tile_size = 0;

  ep.img_size = 64;
  ep.backend = "gpu";
  CHECK(ck_engine_create(weights, &ep, &engine) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "backend 'gpu'") != NULL);
  ep.backend = "ref"; /* the reference kernels key the same frame */
  CHECK(ck_engine_create(weights, &ep, &engine) == CK_OK);
  ck_engine_free(engine);
  ep.backend = NULL;
  CHECK(ck_engine_create(weights, &ep, &engine) == CK_OK);
  if (engine == NULL) return 1;

  /* An 8-bit 90x60 plate (green with a grey square) and a 16-bit hint. */
  enum { W = 90, H = 60 };
  static unsigned char plate_px[H][W][3];
  static unsigned short hint_px[H][W];
  for (int y = 0; y < H; ++y) {
    for (int x = 0; x < W; ++x) {
      const int inside = x > 30 && x < 60 && y > 15 && y < 45;
      plate_px[y][x][0] = inside ? 128 : 30;
      plate_px[y][x][1] = inside ? 128 : 200;
      plate_px[y][x][2] = inside ? 128 : 40;
      hint_px[y][x] = inside ? 65535 : 0;
    }
  }
  ck_image plate = {plate_px, W, H, 3, CK_PIXEL_U8, 0};
  ck_image hint = {hint_px, W, H, 1, CK_PIXEL_U16, 0};
  ck_frame_result out;
  CHECK(ck_engine_process_frame(engine, &plate, &hint, &fp, &out) == CK_OK);
  CHECK(out.width == W && out.height == H);
  CHECK(out.alpha && out.fg && out.processed && out.comp);
  if (out.alpha && out.processed) {
    int finite = 1;
    for (int i = 0; i < W * H; ++i) {
      finite &= isfinite(out.alpha[i]) && isfinite(out.processed[4 * i + 3]);
      /* Processed alpha is the despeckled alpha: the raw one times a mask in [0, 1]. */
      CHECK(fabsf(out.processed[4 * i + 3]) <= fabsf(out.alpha[i]) + 1e-6f);
    }
    CHECK(finite);
  }
  ck_frame_result_free(&out);
  CHECK(out.alpha == NULL);

  /* No composite asked: none returned. */
  fp.generate_comp = 0;
  CHECK(ck_engine_process_frame(engine, &plate, &hint, &fp, &out) == CK_OK);
  CHECK(out.comp == NULL && out.alpha != NULL);
  ck_frame_result_free(&out);

  /* Bad frames: named, and the result stays empty. */
  fp.despill_strength = 2.0f;
  CHECK(ck_engine_process_frame(engine, &plate, &hint, &fp, &out) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "despill_strength") != NULL);
  CHECK(out.alpha == NULL);
  fp = ck_frame_default_params();
  static float bad_px[H][W][3];
  bad_px[7][5][1] = NAN;
  ck_image bad = {bad_px, W, H, 3, CK_PIXEL_F32, 0};
  CHECK(ck_engine_process_frame(engine, &bad, &hint, &fp, &out) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "non-finite") != NULL && strstr(ck_last_error(), "(5, 7)") != NULL);
  /* An enum value outside the enum (as C allows) is refused by its number, not taken as float. */
  ck_image bad_type = {plate_px, W, H, 3, (ck_pixel_type)9, 0};
  CHECK(ck_engine_process_frame(engine, &bad_type, &hint, &fp, &out) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(ck_last_error(), "pixel type 9") != NULL && strstr(ck_last_error(), "plate") != NULL);
  CHECK(out.alpha == NULL);
  ck_image two_channel = {plate_px, W, H, 2, CK_PIXEL_U8, 0};
  CHECK(ck_engine_process_frame(engine, &two_channel, &hint, &fp, &out) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(ck_engine_process_frame(engine, NULL, &hint, &fp, &out) == CK_ERROR_INVALID_ARGUMENT);
  CHECK(strcmp(ck_status_name(CK_ERROR_FORMAT), "format error") == 0);

  ck_engine_free(engine);
  ck_engine_free(NULL);
  if (failures == 0) printf("C API: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
