// danlu/speech.h — a voice assistant's time to first audio, stage by stage: a cascaded
// pipeline (endpointing, streaming ASR, text LLM, streaming TTS) against an end-to-end speech
// LLM (audio tokens in and out of one model). The language-model stages come from the serving
// estimator (TTFT and TPOT at the given concurrency); every other figure comes from the
// scenario file (data/speech.yaml by default), each with its source.
#pragma once

#include <string>
#include <vector>

#include "danlu/catalog.h"

namespace danlu {

struct SpeechStage {
  std::string name;
  double ms = 0;
  std::string source;  // where the figure comes from ("danlu serving estimator" for LLM stages)
};

struct SpeechResult {
  std::string llm;  // e.g. "llama3-70b on 4 x h100-sxm (tensorrt-llm, fp8, concurrency 16)"
  std::vector<SpeechStage> cascaded, end_to_end;
  double cascaded_ms = 0, end_to_end_ms = 0;
};

// Parse a scenario (YAML) and compute both pipelines. Throws InputError with file:line.
SpeechResult speech_pipelines(const std::string& yaml_text, const std::string& origin, const Catalog& cat);

// The built-in scenario text (data/speech.yaml).
const char* default_speech_scenario();

}  // namespace danlu
