// The video module: decoding and encoding through FFmpeg's libraries. Built as a shared module
// (video_io_module.hpp) so that only processes that open a video map them.
//
// Decoded frames are converted by libswscale to 16-bit RGB(A) with the stream's own matrix and
// range, then to float: 10- and 12-bit sources keep every code value. Frames are counted from
// the stream's packets before decoding (container headers can be wrong: a frame count taken
// from duration x rate doubles some ProRes files), and each frame's presentation time is kept
// for variable-rate sources.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>

#include "video/video_io_module.hpp"

namespace ck {

namespace {

std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

struct FormatCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct OutputFreer {
  void operator()(AVFormatContext* f) const { avformat_free_context(f); }
};
struct CodecCloser {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsFreer {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
using FormatPtr = std::unique_ptr<AVFormatContext, FormatCloser>;
using OutputPtr = std::unique_ptr<AVFormatContext, OutputFreer>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecCloser>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFreer>;

Result<FormatPtr> open_container(const std::string& path) {
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0) return err(ErrorCode::kIo, "cannot open video '", path, "': ", av_error_text(rc));
  FormatPtr fmt(raw);
  rc = avformat_find_stream_info(fmt.get(), nullptr);
  if (rc < 0) return err(ErrorCode::kFormat, "cannot read the streams of '", path, "': ", av_error_text(rc));
  return fmt;
}

Result<int> video_stream_of(AVFormatContext* fmt, const std::string& path) {
  const int index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return err(ErrorCode::kFormat, "'", path, "' has no video stream");
  return index;
}

int swscale_colorspace(AVColorSpace space) {
  switch (space) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    default: return SWS_CS_ITU601;
  }
}

class FfmpegReader final : public VideoReader {
 public:
  static Result<std::unique_ptr<VideoReader>> open(const std::string& path, const ReadOptions& options) {
    auto reader = std::unique_ptr<FfmpegReader>(new FfmpegReader());
    reader->path_ = path;
    CK_TRY(reader->count_frames());
    CK_ASSIGN(reader->format_, open_container(path));
    CK_ASSIGN(reader->stream_, video_stream_of(reader->format_.get(), path));
    const AVStream* st = reader->format_->streams[reader->stream_];
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (codec == nullptr) {
      return err(ErrorCode::kUnsupported, "'", path, "': no decoder for ", avcodec_get_name(st->codecpar->codec_id));
    }
    reader->decoder_.reset(avcodec_alloc_context3(codec));
    if (!reader->decoder_) return err(ErrorCode::kOutOfMemory, "out of memory opening '", path, "'");
    avcodec_parameters_to_context(reader->decoder_.get(), st->codecpar);
    reader->decoder_->thread_count = 0;  // as many as FFmpeg finds useful
    const int rc = avcodec_open2(reader->decoder_.get(), codec, nullptr);
    if (rc < 0) return err(ErrorCode::kFormat, "cannot decode '", path, "': ", av_error_text(rc));

    VideoInfo& info = reader->info_;
    info.width = st->codecpar->width;
    info.height = st->codecpar->height;
    if (info.width <= 0 || info.height <= 0) return err(ErrorCode::kFormat, "'", path, "' has no frame size");
    if (static_cast<int64_t>(info.width) * info.height > options.max_pixels) {
      return err(ErrorCode::kInvalidArgument, "'", path, "' is ", info.width, "x", info.height,
                 " pixels, over the limit of ", options.max_pixels, " (--max-pixels)");
    }
    info.codec = codec->name;
    reader->stream_colorspace_ = st->codecpar->color_space;
    const auto pix = static_cast<AVPixelFormat>(st->codecpar->format);
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(pix);
    info.pixel_format = desc ? desc->name : "unknown";
    info.bits_per_component = desc ? desc->comp[0].depth : 8;
    info.has_alpha = desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
    const AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    info.frame_rate = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
    reader->frame_.reset(av_frame_alloc());
    reader->packet_.reset(av_packet_alloc());
    if (!reader->frame_ || !reader->packet_) return err(ErrorCode::kOutOfMemory, "out of memory opening '", path, "'");
    return std::unique_ptr<VideoReader>(std::move(reader));
  }

  const VideoInfo& info() const override { return info_; }

  Result<Image> next() override {
    CK_TRY(decode_next());
    return convert();
  }

  Status skip() override { return decode_next(); }

 private:
  FfmpegReader() = default;

  // The frame count and presentation times from a pass over the packets (no decoding).
  Status count_frames() {
    CK_ASSIGN(FormatPtr fmt, open_container(path_));
    CK_ASSIGN(const int index, video_stream_of(fmt.get(), path_));
    const AVRational tb = fmt->streams[index]->time_base;
    PacketPtr pkt(av_packet_alloc());
    std::vector<int64_t> stamps;
    int rc;
    while ((rc = av_read_frame(fmt.get(), pkt.get())) >= 0) {
      if (pkt->stream_index == index) {
        stamps.push_back(pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts != AV_NOPTS_VALUE ? pkt->dts
                                                                                                : int64_t(stamps.size()));
      }
      av_packet_unref(pkt.get());
    }
    if (rc != AVERROR_EOF) truncated_after_ = static_cast<int64_t>(stamps.size());
    std::sort(stamps.begin(), stamps.end());
    info_.frame_count = static_cast<int64_t>(stamps.size());
    info_.times.reserve(stamps.size());
    const int64_t start = stamps.empty() ? 0 : stamps.front();
    for (int64_t s : stamps) info_.times.push_back(static_cast<double>(s - start) * av_q2d(tb));
    if (info_.frame_count == 0) return err(ErrorCode::kFormat, "'", path_, "' holds no video frames");
    return ok_status();
  }

  std::string where() const { return "'" + path_ + "' frame " + std::to_string(decoded_); }

  // Decodes the next frame into frame_, feeding packets as the decoder asks.
  Status decode_next() {
    while (true) {
      int rc = avcodec_receive_frame(decoder_.get(), frame_.get());
      if (rc == 0) {
        ++decoded_;
        return ok_status();
      }
      if (rc == AVERROR_EOF) {
        return err(ErrorCode::kFormat, where(), ": the video ends after ", decoded_, " of ", info_.frame_count,
                   " frames", truncated_after_ >= 0 ? " (the file is truncated or damaged)" : "");
      }
      if (rc != AVERROR(EAGAIN)) return err(ErrorCode::kFormat, where(), ": cannot decode: ", av_error_text(rc));
      if (draining_) {
        return err(ErrorCode::kFormat, where(), ": the decoder returned nothing more");
      }
      rc = av_read_frame(format_.get(), packet_.get());
      if (rc < 0) {
        draining_ = true;  // end of file (or a truncated one): flush what the decoder holds
        avcodec_send_packet(decoder_.get(), nullptr);
        continue;
      }
      if (packet_->stream_index == stream_) {
        rc = avcodec_send_packet(decoder_.get(), packet_.get());
        if (rc < 0 && rc != AVERROR(EAGAIN)) {
          av_packet_unref(packet_.get());
          return err(ErrorCode::kFormat, where(), ": cannot decode: ", av_error_text(rc));
        }
      }
      av_packet_unref(packet_.get());
    }
  }

  Result<Image> convert() {
    const AVFrame* f = frame_.get();
    if (f->width != info_.width || f->height != info_.height) {
      return err(ErrorCode::kFormat, where(), " is ", f->width, "x", f->height, ", the stream is ", info_.width, "x",
                 info_.height);
    }
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
    const bool alpha = desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
    const AVPixelFormat target = alpha ? AV_PIX_FMT_RGBA64LE : AV_PIX_FMT_RGB48LE;
    const int channels = alpha ? 4 : 3;
    sws_.reset(sws_getCachedContext(sws_.release(), f->width, f->height, static_cast<AVPixelFormat>(f->format),
                                    f->width, f->height, target,
                                    SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP, nullptr,
                                    nullptr, nullptr));
    if (!sws_) return err(ErrorCode::kUnsupported, where(), ": cannot convert pixel format ", desc ? desc->name : "?");
    // The frame's matrix, else the stream's, else the usual guess by size (BT.709 for HD).
    AVColorSpace space = f->colorspace != AVCOL_SPC_UNSPECIFIED ? f->colorspace : stream_colorspace_;
    if (space == AVCOL_SPC_UNSPECIFIED) space = f->height >= 720 || f->width >= 1280 ? AVCOL_SPC_BT709 : AVCOL_SPC_BT470BG;
    const int* coefficients = sws_getCoefficients(swscale_colorspace(space));
    const int src_full = f->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
    sws_setColorspaceDetails(sws_.get(), coefficients, src_full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16,
                             1 << 16);
    std::vector<uint16_t> rgb(static_cast<size_t>(f->width) * f->height * channels);
    uint8_t* dst[4] = {reinterpret_cast<uint8_t*>(rgb.data()), nullptr, nullptr, nullptr};
    int dst_stride[4] = {f->width * channels * 2, 0, 0, 0};
    sws_scale(sws_.get(), f->data, f->linesize, 0, f->height, dst, dst_stride);
    Image out;
    out.width = f->width;
    out.height = f->height;
    out.channels = channels;
    out.pixels.resize(rgb.size());
    for (size_t i = 0; i < rgb.size(); ++i) out.pixels[i] = rgb[i] * (1.0f / 65535.0f);
    return out;
  }

  std::string path_;
  VideoInfo info_;
  FormatPtr format_;
  CodecPtr decoder_;
  FramePtr frame_;
  PacketPtr packet_;
  SwsPtr sws_;
  int stream_ = -1;
  AVColorSpace stream_colorspace_ = AVCOL_SPC_UNSPECIFIED;
  int64_t decoded_ = 0;
  int64_t truncated_after_ = -1;
  bool draining_ = false;
};

struct EncoderChoice {
  const char* encoder;
  const char* container;
  std::vector<AVPixelFormat> formats;  // preferred first
};

EncoderChoice encoder_choice(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kProRes4444: return {"prores_ks", "mov", {AV_PIX_FMT_YUVA444P10LE}};
    case VideoCodec::kFfv1:
      return {"ffv1", "matroska", {AV_PIX_FMT_GBRAP16LE, AV_PIX_FMT_GBRAP12LE, AV_PIX_FMT_GBRAP10LE, AV_PIX_FMT_YUVA444P16LE}};
    case VideoCodec::kH264: return {"libx264", "mp4", {AV_PIX_FMT_YUV420P}};
  }
  return {"", "", {}};
}

bool encoder_supports(const AVCodec* codec, AVPixelFormat format) {
  if (codec->pix_fmts == nullptr) return true;
  for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == format) return true;
  }
  return false;
}

class FfmpegEncoder final : public VideoEncoder {
 public:
  static Result<std::unique_ptr<VideoEncoder>> open(const std::string& path, const VideoWriteOptions& options) {
    auto enc = std::unique_ptr<FfmpegEncoder>(new FfmpegEncoder());
    enc->path_ = path;
    const EncoderChoice choice = encoder_choice(options.codec);
    const AVCodec* codec = avcodec_find_encoder_by_name(choice.encoder);
    if (codec == nullptr && options.codec == VideoCodec::kH264) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (codec == nullptr) {
      return err(ErrorCode::kUnsupported, "this FFmpeg has no ", choice.encoder, " encoder (for '", path, "')");
    }
    AVPixelFormat format = AV_PIX_FMT_NONE;
    for (AVPixelFormat f : choice.formats) {
      if (encoder_supports(codec, f)) {
        format = f;
        break;
      }
    }
    if (format == AV_PIX_FMT_NONE) {
      return err(ErrorCode::kUnsupported, "the ", codec->name, " encoder here takes none of the pixel formats needed");
    }
    if (options.width <= 0 || options.height <= 0 || options.frame_rate <= 0) {
      return err(ErrorCode::kInvalidArgument, "video '", path, "': bad size ", options.width, "x", options.height,
                 " or frame rate ", options.frame_rate);
    }
    AVFormatContext* raw = nullptr;
    int rc = avformat_alloc_output_context2(&raw, nullptr, choice.container, path.c_str());
    if (rc < 0 || raw == nullptr) return err(ErrorCode::kInternal, "cannot set up '", path, "': ", av_error_text(rc));
    enc->format_.reset(raw);
    enc->encoder_.reset(avcodec_alloc_context3(codec));
    AVCodecContext* c = enc->encoder_.get();
    c->width = options.width;
    c->height = options.height;
    c->pix_fmt = format;
    c->sample_aspect_ratio = {1, 1};
    // Microsecond timestamps carry any frame's time, constant rate or not.
    c->time_base = {1, 1000000};
    c->framerate = av_d2q(options.frame_rate, 100000);
    enc->frame_period_s_ = 1.0 / options.frame_rate;
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_IEC61966_2_1;
    c->colorspace = AVCOL_SPC_BT709;
    const bool rgb = format == AV_PIX_FMT_GBRAP16LE || format == AV_PIX_FMT_GBRAP12LE || format == AV_PIX_FMT_GBRAP10LE;
    c->color_range = rgb ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    if (rgb) c->colorspace = AVCOL_SPC_RGB;
    c->thread_count = 0;
    AVDictionary* opts = nullptr;
    if (options.codec == VideoCodec::kProRes4444) {
      av_dict_set(&opts, "profile", "4444", 0);
      av_dict_set(&opts, "alpha_bits", "16", 0);
      av_dict_set(&opts, "vendor", "apl0", 0);
    } else if (options.codec == VideoCodec::kFfv1) {
      av_dict_set(&opts, "level", "3", 0);
      av_dict_set(&opts, "slicecrc", "1", 0);
    } else {
      av_dict_set(&opts, "crf", "18", 0);
      av_dict_set(&opts, "preset", "medium", 0);
    }
    if (enc->format_->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    rc = avcodec_open2(c, codec, &opts);
    av_dict_free(&opts);
    if (rc < 0) return err(ErrorCode::kUnsupported, "cannot open the ", codec->name, " encoder: ", av_error_text(rc));
    AVStream* st = avformat_new_stream(enc->format_.get(), nullptr);
    if (st == nullptr) return err(ErrorCode::kOutOfMemory, "out of memory setting up '", path, "'");
    avcodec_parameters_from_context(st->codecpar, c);
    st->time_base = c->time_base;
    st->avg_frame_rate = c->framerate;
    enc->stream_ = st;
    rc = avio_open(&enc->format_->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) return err(ErrorCode::kIo, "cannot write '", path, "': ", av_error_text(rc));
    // The colour tags go into the container too (MOV's colr atom), so that readers convert
    // with the matrix the frames were made with.
    AVDictionary* mux = nullptr;
    av_dict_set(&mux, "movflags", "write_colr", 0);
    rc = avformat_write_header(enc->format_.get(), &mux);
    av_dict_free(&mux);
    if (rc < 0) return err(ErrorCode::kIo, "cannot write '", path, "': ", av_error_text(rc));
    enc->frame_.reset(av_frame_alloc());
    enc->packet_.reset(av_packet_alloc());
    enc->frame_->format = format;
    enc->frame_->width = options.width;
    enc->frame_->height = options.height;
    // Encoders such as ProRes write the colour tags of each frame into its header.
    enc->frame_->color_primaries = c->color_primaries;
    enc->frame_->color_trc = c->color_trc;
    enc->frame_->colorspace = c->colorspace;
    enc->frame_->color_range = c->color_range;
    rc = av_frame_get_buffer(enc->frame_.get(), 0);
    if (rc < 0) return err(ErrorCode::kOutOfMemory, "out of memory setting up '", path, "'");
    return std::unique_ptr<VideoEncoder>(std::move(enc));
  }

  ~FfmpegEncoder() override {
    if (format_ && format_->pb != nullptr) avio_closep(&format_->pb);
  }

  Status write(const Image& image, double time_s) override {
    AVCodecContext* c = encoder_.get();
    if (image.width != c->width || image.height != c->height || (image.channels != 1 && image.channels != 3 && image.channels != 4)) {
      return err(ErrorCode::kInvalidArgument, "'", path_, "': frame ", written_, " is ", image.width, "x",
                 image.height, "x", image.channels, ", the video is ", c->width, "x", c->height);
    }
    // Float to 16-bit RGBA (alpha 1 when the frame has none), then libswscale to the codec's format.
    const size_t pixels = static_cast<size_t>(image.width) * image.height;
    rgba_.resize(pixels * 4);
    for (size_t i = 0; i < pixels; ++i) {
      for (int k = 0; k < 4; ++k) {
        // Grey (a matte) fills the colour channels; a missing alpha is opaque.
        const int from = image.channels == 1 ? (k < 3 ? 0 : -1) : (k < image.channels ? k : -1);
        const float v = from >= 0 ? image.pixels[i * image.channels + from] : 1.0f;
        rgba_[i * 4 + k] = static_cast<uint16_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 65535.0f));
      }
    }
    sws_.reset(sws_getCachedContext(sws_.release(), c->width, c->height, AV_PIX_FMT_RGBA64LE, c->width, c->height,
                                    c->pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr,
                                    nullptr));
    if (!sws_) return err(ErrorCode::kUnsupported, "'", path_, "': cannot convert to the codec's pixel format");
    if (c->colorspace != AVCOL_SPC_RGB) {
      sws_setColorspaceDetails(sws_.get(), sws_getCoefficients(SWS_CS_DEFAULT), 1,
                               sws_getCoefficients(SWS_CS_ITU709), c->color_range == AVCOL_RANGE_JPEG ? 1 : 0, 0,
                               1 << 16, 1 << 16);
    }
    int rc = av_frame_make_writable(frame_.get());
    if (rc < 0) return err(ErrorCode::kOutOfMemory, "out of memory encoding '", path_, "'");
    const uint8_t* src[4] = {reinterpret_cast<const uint8_t*>(rgba_.data()), nullptr, nullptr, nullptr};
    const int src_stride[4] = {c->width * 8, 0, 0, 0};
    sws_scale(sws_.get(), src, src_stride, 0, c->height, frame_->data, frame_->linesize);
    const double t = time_s >= 0 ? time_s : static_cast<double>(written_) * frame_period_s_;
    int64_t pts = std::llround(t * 1e6);
    if (pts <= last_pts_) pts = last_pts_ + 1;  // strictly increasing, whatever the caller's times
    last_pts_ = pts;
    frame_->pts = pts;
    ++written_;
    return send(frame_.get());
  }

  Status finish() override {
    CK_TRY(send(nullptr));
    int rc = av_write_trailer(format_.get());
    if (rc < 0) return err(ErrorCode::kIo, "cannot finish '", path_, "': ", av_error_text(rc));
    rc = avio_closep(&format_->pb);
    if (rc < 0) return err(ErrorCode::kIo, "cannot finish '", path_, "': ", av_error_text(rc));
    return ok_status();
  }

 private:
  FfmpegEncoder() = default;

  Status send(AVFrame* frame) {
    int rc = avcodec_send_frame(encoder_.get(), frame);
    if (rc < 0) return err(ErrorCode::kInternal, "cannot encode '", path_, "': ", av_error_text(rc));
    while ((rc = avcodec_receive_packet(encoder_.get(), packet_.get())) >= 0) {
      av_packet_rescale_ts(packet_.get(), encoder_->time_base, stream_->time_base);
      packet_->stream_index = stream_->index;
      rc = av_interleaved_write_frame(format_.get(), packet_.get());
      if (rc < 0) return err(ErrorCode::kIo, "cannot write '", path_, "': ", av_error_text(rc));
      if (format_->pb != nullptr && format_->pb->error < 0) {
        return err(ErrorCode::kIo, "cannot write '", path_, "': ", av_error_text(format_->pb->error));
      }
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) {
      return err(ErrorCode::kInternal, "cannot encode '", path_, "': ", av_error_text(rc));
    }
    return ok_status();
  }

  std::string path_;
  OutputPtr format_;
  CodecPtr encoder_;
  FramePtr frame_;
  PacketPtr packet_;
  SwsPtr sws_;
  AVStream* stream_ = nullptr;
  std::vector<uint16_t> rgba_;
  double frame_period_s_ = 1.0 / 24;
  int64_t written_ = 0, last_pts_ = -1;
};

VideoLibraryInfo library_info() {
  VideoLibraryInfo info;
  auto version = [](const char* name, unsigned v) {
    return std::string(name) + " " + std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff) + "." +
           std::to_string(v & 0xff);
  };
  info.versions = {version("libavformat", avformat_version()), version("libavcodec", avcodec_version()),
                   version("libswscale", swscale_version())};
  for (VideoCodec codec : {VideoCodec::kProRes4444, VideoCodec::kFfv1}) {
    if (avcodec_find_encoder_by_name(encoder_choice(codec).encoder) != nullptr) {
      info.alpha_encoders.push_back(encoder_choice(codec).encoder);
    }
  }
  info.h264 = avcodec_find_encoder_by_name("libx264") != nullptr || avcodec_find_encoder(AV_CODEC_ID_H264) != nullptr;
  return info;
}

const VideoIoModule kModule{kVideoIoModuleVersion, &FfmpegReader::open, &FfmpegEncoder::open, &library_info};

}  // namespace

}  // namespace ck

extern "C" __attribute__((visibility("default"))) const ck::VideoIoModule* ck_video_io_module() {
  av_log_set_level(AV_LOG_ERROR);
  return &ck::kModule;
}
