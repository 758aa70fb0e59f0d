#include <mfdd/model/data_model.h>

namespace mfdd::model
{
  DataModel::DataModel(std::vector<InputBlock> blocks)
    : input_blocks(std::move(blocks))
  {
    for (const auto &b : input_blocks)
      d += b.size;
  }
} // namespace mfdd::model
