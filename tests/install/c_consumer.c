/* A C program built against an installed corridorkey through pkg-config: keys one generated
   frame with the checkpoint it is given and checks the outputs and the error path. */
#include <corridorkey/corridorkey.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: c_consumer CHECKPOINT\n");
    return 2;
  }
  enum { W = 64, H = 48 };
  static float plate[W * H * 3], hint[W * H];
  for (int y = 0; y < H; ++y) {
    for (int x = 0; x < W; ++x) {
      const int subject = (x - W / 2) * (x - W / 2) + (y - H / 2) * (y - H / 2) < 200;
      plate[(y * W + x) * 3 + 0] = subject ? 0.8f : 0.1f;
      plate[(y * W + x) * 3 + 1] = subject ? 0.5f : 0.8f;
      plate[(y * W + x) * 3 + 2] = subject ? 0.4f : 0.1f;
      hint[y * W + x] = subject ? 1.0f : 0.0f;
    }
  }
  ck_engine* engine = NULL;
  if (ck_engine_create("/no/such/weights.pth", NULL, &engine) == CK_OK) {
    fprintf(stderr, "a missing checkpoint was accepted\n");
    return 1;
  }
  printf("missing weights: %s\n", ck_last_error());
  ck_engine_params ep = ck_engine_default_params();
  ep.img_size = 64;
  if (ck_engine_create(argv[1], &ep, &engine) != CK_OK) {
    fprintf(stderr, "ck_engine_create: %s\n", ck_last_error());
    return 1;
  }
  ck_image p = {plate, W, H, 3, CK_PIXEL_F32, 0}, h = {hint, W, H, 1, CK_PIXEL_F32, 0};
  ck_frame_params fp = ck_frame_default_params();
  ck_frame_result out;
  if (ck_engine_process_frame(engine, &p, &h, &fp, &out) != CK_OK) {
    fprintf(stderr, "ck_engine_process_frame: %s\n", ck_last_error());
    return 1;
  }
  double sum = 0;
  for (int i = 0; i < W * H; ++i) sum += out.alpha[i];
  printf("keyed %dx%d, mean alpha %.4f\n", out.width, out.height, sum / (W * H));
  const int ok = out.width == W && out.height == H && out.comp != NULL && sum == sum;
  ck_frame_result_free(&out);
  ck_engine_free(engine);
  return ok ? 0 : 1;
}
