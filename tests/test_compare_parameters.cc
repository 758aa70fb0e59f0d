// The Comparison and Study sections: bad input is an InputError naming the
// parameter (exit status 2 in `mfdd`), good input is read as written.
#include <mfdd/compare/parameters.h>
#include <mfdd/io/input_error.h>

#include <gtest/gtest.h>

using namespace mfdd;
using namespace mfdd::compare;

namespace
{
  struct Sections
  {
    dealii::ParameterHandler prm;
    Sections()
    {
      model::Problem::declare_parameters(prm);
      ComparisonParameters::declare_parameters(prm);
      StudyParameters::declare_parameters(prm);
    }
    void
    set(const std::string &section, const std::string &key, const std::string &value)
    {
      prm.enter_subsection(section);
      prm.set(key, value);
      prm.leave_subsection();
    }
    model::Problem
    problem()
    {
      model::Problem p;
      p.parse_parameters(prm);
      return p;
    }
  };

  // Runs @p f and returns the InputError's message ("" if none was thrown).
  template <typename F>
  std::string
  input_error(F f)
  {
    try
      {
        f();
      }
    catch (const io::InputError &e)
      {
        return e.what();
      }
    return "";
  }
} // namespace

TEST(StudyParameters, ReadsSortedListsAndDefaults)
{
  Sections s;
  s.set("Study", "Widths N", "1600, 100, 400, 100");
  s.set("Study", "Step sizes epsilon", "1e-3, 1e-5");
  StudyParameters p;
  p.parse_parameters(s.prm);
  EXPECT_EQ(p.widths, (std::vector<unsigned int>{100, 400, 1600}));
  EXPECT_EQ(p.step_sizes, (std::vector<double>{1e-5, 1e-3}));
  EXPECT_EQ(p.dimensions, (std::vector<unsigned int>{10, 40}));
  EXPECT_EQ(p.dimension_check_width(), 100u);
  EXPECT_EQ(p.largest_width(), 1600u);
  EXPECT_FALSE(p.full_grid);
  EXPECT_DOUBLE_EQ(p.width_sweep_step(), 1e-5);
  EXPECT_EQ(p.all_step_sizes(), p.step_sizes);

  s.set("Study", "Width sweep epsilon", "1e-6");
  p.parse_parameters(s.prm);
  EXPECT_DOUBLE_EQ(p.width_sweep_step(), 1e-6);
  EXPECT_EQ(p.all_step_sizes(), (std::vector<double>{1e-6, 1e-5, 1e-3}));
}

TEST(StudyParameters, BadInput)
{
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
    {"Widths N", "", "Study/Widths N"},
    {"Widths N", "100, 0", "Study/Widths N"},
    {"Widths N", "100, -4", "Study/Widths N"},
    {"Step sizes epsilon", "", "Study/Step sizes epsilon"},
    {"Step sizes epsilon", "1e-3, 0", "Study/Step sizes epsilon"},
    {"Step sizes epsilon", "-1e-3", "Study/Step sizes epsilon"},
    {"Dimensions d", "", "Study/Dimensions d"},
    {"Dimensions d", "0", "Study/Dimensions d"},
    {"Seeds", "", "Study/Seeds"},
    {"Seeds", "1, -1", "Study/Seeds"},
    {"Dimension check N", "7", "Study/Dimension check N"},
    {"Width sweep epsilon", "1e-2", "Study/Width sweep epsilon"},
  };
  for (const auto &[key, value, needle] : cases)
    {
      Sections s;
      s.set("Study", key, value);
      StudyParameters p;
      const auto      message = input_error([&] { p.parse_parameters(s.prm); });
      EXPECT_NE(message.find(needle), std::string::npos) << key << " = '" << value << "': " << message;
    }
}

TEST(StudyParameters, ADimensionTheProblemCannotTake)
{
  Sections s;
  s.set("Problem", "Data model", "anisotropic");
  s.set("Problem", "Signal block size s0", "10");
  s.set("Problem", "Dimension d", "40");
  EXPECT_EQ(problem_with_dimension(s.prm, 20).d, 20u);
  const auto message = input_error([&] { problem_with_dimension(s.prm, 10); });
  EXPECT_NE(message.find("Study/Dimensions d"), std::string::npos) << message;
  EXPECT_NE(message.find("d = 10"), std::string::npos) << message;
  // the file's own d is left as it was
  EXPECT_EQ(s.problem().d, 40u);
}

TEST(ComparisonParameters, TestFunctionsInTheReducedCoordinates)
{
  Sections s;
  s.set("Comparison", "Test functions", "min(r, 2); exp(-r^2)");
  ComparisonParameters c;
  c.parse_parameters(s.prm, s.problem());
  EXPECT_EQ(c.test_functions.size(), 2u);
  EXPECT_EQ(c.metrics(s.problem()).names().back(), "test_gap_2");

  // 'a' is no coordinate of the fixed-second-layer problem, but is of the trainable one
  s.set("Comparison", "Test functions", "a*r");
  EXPECT_NE(input_error([&] { c.parse_parameters(s.prm, s.problem()); }).find("Comparison/Test functions"),
            std::string::npos);
  s.set("Problem", "Second layer", "trainable");
  c.parse_parameters(s.prm, s.problem());
  EXPECT_EQ(c.metrics(s.problem()).names(),
            (std::vector<std::string>{"risk_gap", "risk_gap_no_self", "w1_a", "w1_r", "sliced_w1", "test_gap_1"}));

  s.set("Comparison", "Seeds", "");
  EXPECT_NE(input_error([&] { c.parse_parameters(s.prm, s.problem()); }).find("Comparison/Seeds"),
            std::string::npos);
}
