// The built-in TRL scales (configs/trl/*.yaml), compiled into the binary.
#pragma once

#include <string>
#include <vector>

namespace rlab::trl {

struct EmbeddedScale {
  const char* name;  ///< "nasa", "eu": what --scale and `scale:` accept.
  const char* path;  ///< "configs/trl/nasa.yaml": the name messages show.
  const char* text;  ///< The YAML.
};

const std::vector<EmbeddedScale>& embedded_scales();

}  // namespace rlab::trl
