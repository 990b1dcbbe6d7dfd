// Speech pipelines (danlu/speech.h).
#include "danlu/speech.h"

#include <fmt/format.h>

#include "danlu/inputs.h"
#include "danlu/serve.h"
#include "danlu/validate.h"
#include "io/embedded.h"
#include "io/yaml_util.h"

namespace danlu {

const char* default_speech_scenario() { return embedded::kSpeech; }

SpeechResult speech_pipelines(const std::string& text, const std::string& origin, const Catalog& cat) {
  const YAML::Node root = io::parse_yaml(text, origin);
  if (!root.IsMap() || !root["llm"] || !root["cascaded"] || !root["end_to_end"]) {
    throw InputError(fmt::format("{}: a speech scenario is a mapping with llm, cascaded and end_to_end", origin));
  }
  const YAML::Node llm = root["llm"], cas = root["cascaded"], e2e = root["end_to_end"];
  const std::string model_id = io::text(llm, "model", origin, true);
  const Model model = load_model(model_id, cat, nullptr);
  const std::string acc = io::text(llm, "accelerator", origin, true);
  const int gpus = static_cast<int>(io::integer(llm, "gpus", origin, true, 1, 1, 4096));
  const Engine& engine = cat.engine(io::text(llm, "engine", origin, true));
  ServeSetup s;
  s.tp = gpus;
  const std::string w = io::text(llm, "weights", origin, false);
  parse_weight_precision(w.empty() ? "bf16" : w, io::where(origin, llm), &s.weights, &s.weight_bytes);
  s.activations = s.weights;
  s.kv_cache = s.weights == Precision::bf16 ? Precision::bf16 : Precision::fp8;
  s.mode = ServeMode::concurrency;
  s.concurrency = io::number(llm, "concurrency", origin, true, 1, 1, 1e6);
  const double context = io::number(llm, "context_tokens", origin, true, 0, 0, 1e7);
  const Cluster c = make_cluster(cat, acc, gpus, 0, "", 0);
  if (model.heads % s.tp != 0) {
    throw InputError(fmt::format("{}: llm.gpus = {} does not divide the model's {} heads", io::where(origin, llm), gpus, model.heads));
  }

  SpeechResult r;
  r.llm = fmt::format("{} on {} x {} ({}, {} weights, concurrency {:.0f})", model_id, gpus, acc, engine.id,
                      w.empty() ? "bf16" : w, s.concurrency);
  auto fig = [&](const YAML::Node& n, const char* key, const char* name, std::vector<SpeechStage>* out) {
    const double v = io::number(n, key, origin, true, 0, 0, 1e7);
    out->push_back({name, v, io::source_of(n, key)});
    return v;
  };
  auto llm_stage = [&](double prompt, double tokens_out, const char* name, std::vector<SpeechStage>* out) {
    ServeSetup x = s;
    x.input_tokens = static_cast<int>(std::max(1.0, prompt));
    x.output_tokens = static_cast<int>(std::max(32.0, context));  // a typical reply length
    const ServeResult sr = estimate_serving(model, c, engine, x);
    if (!sr.fits) throw InputError(fmt::format("{}: the llm does not fit on {} x {}", origin, gpus, acc));
    const double ms = (sr.ttft_s + std::max(0.0, tokens_out - 1.0) * sr.tpot_s) * 1e3;
    out->push_back({name, ms,
                    fmt::format("danlu serving estimator: TTFT {:.0f} ms + {:.0f} x TPOT {:.1f} ms", sr.ttft_s * 1e3,
                                std::max(0.0, tokens_out - 1.0), sr.tpot_s * 1e3)});
    return ms;
  };

  double total = 0;
  total += fig(cas, "endpointing_ms", "end-of-turn detection (silence)", &r.cascaded);
  total += fig(cas, "asr_final_ms", "ASR final transcript", &r.cascaded);
  const double turn = io::number(cas, "prompt_tokens_from_turn", origin, true, 0, 1, 1e6);
  const double before_tts = io::number(cas, "tokens_before_tts", origin, true, 0, 1, 1e6);
  total += llm_stage(turn, before_tts, "text LLM: prefill + first phrase", &r.cascaded);
  total += fig(cas, "tts_first_audio_ms", "TTS first audio chunk", &r.cascaded);
  total += fig(cas, "service_hops_ms", "service-to-service hops", &r.cascaded);
  total += fig(cas, "network_rtt_ms", "network round trip", &r.cascaded);
  total += fig(cas, "playback_buffer_ms", "playback jitter buffer", &r.cascaded);
  r.cascaded_ms = total;

  total = 0;
  total += fig(e2e, "endpointing_ms", "end-of-turn detection (model)", &r.end_to_end);
  const double last = io::number(e2e, "audio_tokens_last_chunk", origin, true, 0, 1, 1e6);
  const double first_audio = io::number(e2e, "audio_tokens_before_playback", origin, true, 0, 1, 1e6);
  total += llm_stage(last, first_audio, "speech LLM: last audio chunk + first audio tokens", &r.end_to_end);
  total += fig(e2e, "codec_decoder_ms", "codec decoder", &r.end_to_end);
  total += fig(e2e, "network_rtt_ms", "network round trip", &r.end_to_end);
  total += fig(e2e, "playback_buffer_ms", "playback jitter buffer", &r.end_to_end);
  r.end_to_end_ms = total;
  return r;
}

}  // namespace danlu
