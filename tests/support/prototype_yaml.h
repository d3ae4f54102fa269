// Prototype configs for the tests that train.
#pragma once

#include <string>

namespace rlab::test {

/// A prototype config: the small classifier of the training tests (one convolution of 4
/// channels, 8 hidden units) on synthetic images with the data options `data` ("samples: 64,
/// size: 8"), then the YAML lines `rest`.
inline std::string small_classifier_yaml(const std::string& data, const std::string& rest) {
  return "prototype:\n  data: {dataset: synthetic, " + data +
         "}\n  model: {type: classifier, channels: [4], hidden: 8}\n" + rest;
}

}  // namespace rlab::test
