# Generates a C++ source holding the catalog YAML files and the web page's assets as raw
# string literals. Invoked at build time: cmake -DOUT=<file> -DROOT=<source dir> -P embed.cmake
set(parts "")
foreach(pair "kFamilies:data/families.yaml" "kAccelerators:data/accelerators.yaml" "kNetworks:data/networks.yaml"
             "kModels:data/models.yaml" "kEngines:data/engines.yaml" "kFrameworks:data/frameworks.yaml" "kSpeech:data/speech.yaml" "kCosts:data/costs.yaml"
             "kIndexHtml:web/src/index.html" "kAppJs:web/src/app.js" "kAppCss:web/src/app.css" "kSampleRuns:web/src/sample-runs.json"
             "kUplotJs:web/node_modules/uplot/dist/uPlot.iife.min.js" "kUplotCss:web/node_modules/uplot/dist/uPlot.min.css")
  string(REPLACE ":" ";" kv "${pair}")
  list(GET kv 0 sym)
  list(GET kv 1 file)
  if(NOT EXISTS "${ROOT}/${file}")
    message(FATAL_ERROR "${file} is missing: run scripts/setup.sh (it installs the page's npm packages with npm ci in web/)")
  endif()
  file(READ "${ROOT}/${file}" content)
  string(FIND "${content}" ")danlu_yaml\"" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw-string delimiter")
  endif()
  string(APPEND parts "const char* const ${sym} = R\"danlu_yaml(${content})danlu_yaml\";\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from data/*.yaml and web/ by cmake/embed.cmake. Do not edit.\n#include \"io/embedded.h\"\nnamespace danlu::embedded {\n${parts}}  // namespace danlu::embedded\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
